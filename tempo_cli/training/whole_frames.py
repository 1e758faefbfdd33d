"""Validation on whole frames of held-out videos, scored the way `tempo eval` scores them."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from tempo_cli.errors import TempoError
from tempo_cli.evaluation.datasets import AHEAD, VIDEO_LAYOUTS, check_videos_open, detect_layout
from tempo_cli.evaluation.runner import VIDEO_AGGREGATE, evaluate_many
from tempo_cli.model.tempo import Tempo
from tempo_cli.synth.neural import TempoSynthesizer
from tempo_cli.training.data.sources import parse_spec
from tempo_cli.video.reader import VideoError

INTERPOLATION_KINDS = ("2x", "4x")
EXTRAPOLATION_KINDS = tuple(f"ahead{steps}" for steps in AHEAD)


def whole_frame_videos(specs: Sequence[str], windows: int, kinds: Sequence[str] = INTERPOLATION_KINDS) -> list[Path]:
    """The videos, folders of videos and folders of frames of `val_data` specs to score on whole frames ([] when
    `windows` is 0), else a TempoError (also for `kinds` that are not whole-frame sets, or a video that cannot be
    opened), so that bad validation data fails before training starts."""
    known = INTERPOLATION_KINDS + EXTRAPOLATION_KINDS
    unknown = [kind for kind in kinds if kind not in known]
    if unknown or not kinds:
        raise TempoError(f"val_whole_kinds must name one or more of {', '.join(known)}, not {list(kinds)}")
    if not windows:
        return []
    if not specs:
        raise TempoError("val_whole_windows needs val_data: held-out videos to score on whole frames")
    paths = [_video_data(Path(parse_spec(spec)[0])) for spec in specs]
    for path in paths:
        try:
            check_videos_open(path)
        except VideoError as exc:
            raise TempoError(f"val_data: {exc}") from exc
    return paths


def _video_data(path: Path) -> Path:
    """`path` if it is a video, a folder of videos or a folder of frames, else TempoError."""
    try:
        layout = detect_layout(path)
    except ValueError as exc:
        raise TempoError(f"val_data: {exc}") from exc
    if layout not in VIDEO_LAYOUTS:
        raise TempoError(f"val_data {path} is {layout} data, not videos (which whole-frame validation takes)")
    return path


def whole_frame_scores(
    model: Tempo,
    videos: Sequence[Path],
    windows: int,
    max_side: int,
    precision: torch.dtype | None,
    kinds: Sequence[str] = INTERPOLATION_KINDS,
) -> dict[str, float]:
    """Mean PSNR of `model` on each of `kinds` (2x, 4x, ahead1...) over `windows` windows of each video, plain
    and with each frame capped at `SELECTION_CAP`: {"whole_2x": .., "whole_2x_capped": .., ...}.

    Scored like `tempo eval --max-side MAX_SIDE` (`--task extrapolate` for the ahead kinds), at the training
    precision. The model is copied first: inference puts its weights in another memory layout.
    """
    synthesizer = TempoSynthesizer(copy.deepcopy(model), torch.device("cpu"), precision)
    sets: dict[str, Any] = {}
    for task, task_kinds in (("interpolate", INTERPOLATION_KINDS), ("extrapolate", EXTRAPOLATION_KINDS)):
        if any(kind in kinds for kind in task_kinds):
            result = evaluate_many(videos, synthesizer, task, max_windows=windows, max_side=max_side, pool_videos=True)
            sets |= result["sets"]
    missing = [kind for kind in kinds if f"{VIDEO_AGGREGATE}/{kind}" not in sets]
    if missing:
        names = ", ".join(map(str, videos))
        raise TempoError(f"whole-frame validation found no {' or '.join(missing)} window in {names}: clips too short")
    pooled = {kind: sets[f"{VIDEO_AGGREGATE}/{kind}"] for kind in kinds}
    plain = {f"whole_{kind}": scores["psnr"] for kind, scores in pooled.items()}
    return plain | {f"whole_{kind}_capped": scores["psnr_capped"] for kind, scores in pooled.items()}
