"""Score a synthesizer on evaluation data: mean PSNR/SSIM per set, merged over paths, as a table.

A result is `{"sets": {NAME: {"psnr": dB, "psnr_capped": dB, "ssim": float, "n": frames}}, "layout": str,
(plus "lpips" per set when an LPIPS network is given, see tempo_cli.evaluation.perceptual)
"task": str, "seconds": float}`. Set names are the dataset folder's name for benchmarks
("middlebury_other", "davis_triplets/extrapolate"), "<video-stem>/2x", "/4x", "/ahead1"...
for videos (the file name, or the path, where stems would clash), plus "videos/2x" etc. pooling
every clip of a video folder (listed last).
Means are over scored frames (a 4x window scores three), and predictions are rounded to
8 bits before scoring, as the papers' evaluation scripts do with saved frames. "psnr_capped"
caps each frame at `metrics.SELECTION_CAP` (for picking checkpoints; reports give "psnr").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from torch import nn

from tempo_cli.errors import TempoError
from tempo_cli.evaluation.datasets import VIDEO_LAYOUTS, Item, detect_layout, iter_items, video_labels, videos_of
from tempo_cli.evaluation.metrics import SELECTION_CAP, psnr, ssim
from tempo_cli.evaluation.perceptual import lpips_distance
from tempo_cli.synth.base import Synthesizer

VIDEO_AGGREGATE = "videos"
Progress = Callable[[int], None]


@dataclass
class _Sums:
    psnr: float = 0.0
    psnr_capped: float = 0.0
    ssim: float = 0.0
    n: int = 0
    lpips: float = 0.0
    lpips_n: int = 0

    def add(
        self,
        psnr_db: float,
        ssim_value: float,
        n: int = 1,
        lpips: float | None = None,
        psnr_capped: float | None = None,
    ) -> None:
        """Add `n` frames of these means; `psnr_capped` defaults to `psnr_db` capped at SELECTION_CAP."""
        self.psnr += psnr_db * n
        self.psnr_capped += (min(psnr_db, SELECTION_CAP) if psnr_capped is None else psnr_capped) * n
        self.ssim += ssim_value * n
        self.n += n
        if lpips is not None:
            self.lpips += lpips * n
            self.lpips_n += n

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "psnr": self.psnr / self.n,
            "psnr_capped": self.psnr_capped / self.n,
            "ssim": self.ssim / self.n,
            "n": self.n,
        }
        if self.lpips_n:
            out["lpips"] = self.lpips / self.lpips_n
        return out


def to_image(frame: np.ndarray) -> np.ndarray:
    """A float32 (H,W,3) frame in [0,1] as the 8-bit RGB image synthesizers take (the data are 8-bit)."""
    return np.clip(np.rint(frame * 255), 0, 255).astype(np.uint8)


def predict(synthesizer: Synthesizer, item: Item) -> list[np.ndarray]:
    """Frames at the item's ground-truth times from its anchors, float32 (H,W,3) in [0,1], 8-bit."""
    anchors = [synthesizer.prepare(to_image(f)) for f in item.frames]
    frames = synthesizer.synthesize(anchors, item.times, item.gt_times).frames
    if len(frames) != len(item.gts):
        raise ValueError(f"{synthesizer.name} returned {len(frames)} frames for {len(item.gts)} target times")
    return [f.astype(np.float32) / 255 for f in frames]


def _lpips(model: nn.Module, pred: np.ndarray, gt: np.ndarray) -> float:
    def tensor(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float()

    with torch.no_grad():
        return float(lpips_distance(model, tensor(pred), tensor(gt))[0])


def _result(sums: dict[str, _Sums], layout: str, task: str, seconds: float) -> dict[str, Any]:
    order = sorted(sums, key=lambda name: (name.rpartition("/")[0] == VIDEO_AGGREGATE, name))
    return {"sets": {name: sums[name].summary() for name in order}, "layout": layout, "task": task, "seconds": seconds}


def scored_videos(paths: Iterable[Path]) -> dict[Path, str]:
    """The name of each video's sets among all the videos that `paths` stand for (`datasets.video_labels`)."""
    videos = [video for path in paths if _holds_videos(path) for video in videos_of(path)]
    return video_labels(videos, reserved=VIDEO_AGGREGATE)


def _holds_videos(path: Path) -> bool:
    try:
        return detect_layout(path) in VIDEO_LAYOUTS
    except TempoError:
        return False


def evaluate(
    path: Path,
    synthesizer: Synthesizer,
    task: str = "interpolate",
    limit: int | None = None,
    *,
    layout: str | None = None,
    max_windows: int = 30,
    max_side: int | None = None,
    progress: Progress | None = None,
    perceptual: nn.Module | None = None,
    pool_videos: bool = False,
    anchors: int = 2,
    labels: dict[Path, str] | None = None,
) -> dict[str, Any]:
    """Score `synthesizer` on the data at `path` (layout detected unless given).

    `limit` caps the number of items, `max_windows` the windows per video set, `max_side`
    the short side of every frame, `anchors` the frames per video window (see `datasets`).
    `progress` is called with 1 after each item, so it plugs into `rich.progress.Progress.advance`.
    Videos' sets are also pooled by kind under VIDEO_AGGREGATE for a folder of videos, and for a single video or
    folder of frames with `pool_videos`. A video's own sets go under `labels[video]` (default: `scored_videos`).
    """
    start = time.perf_counter()
    path = Path(path)
    layout = layout or detect_layout(path)
    labels = labels if labels is not None else scored_videos([path])
    sums: dict[str, _Sums] = {}
    for item in iter_items(path, layout, task, limit, max_windows, max_side, anchors, labels):
        names = [item.set_name]
        if layout in VIDEO_LAYOUTS and (pool_videos or layout == "video_folder"):
            names.append(f"{VIDEO_AGGREGATE}/{item.kind}")
        preds = predict(synthesizer, item)
        for pred, gt in zip(preds, item.gts, strict=True):
            perceptual_score = None if perceptual is None else _lpips(perceptual, pred, gt)
            for name in names:
                sums.setdefault(name, _Sums()).add(psnr(pred, gt), ssim(pred, gt), lpips=perceptual_score)
        if progress is not None:
            progress(1)
    return _result(sums, layout, task, time.perf_counter() - start)


def evaluate_many(
    paths: Iterable[Path],
    synthesizer: Synthesizer,
    task: str = "interpolate",
    limit: int | None = None,
    *,
    max_windows: int = 30,
    max_side: int | None = None,
    progress: Progress | None = None,
    perceptual: nn.Module | None = None,
    pool_videos: bool = False,
    anchors: int = 2,
) -> dict[str, Any]:
    """`evaluate` on each path (limit applies per path); sets of the same name are pooled by frame count.

    With `pool_videos`, every video's sets are pooled by kind under VIDEO_AGGREGATE.
    """
    sums: dict[str, _Sums] = {}
    layouts: list[str] = []
    seconds = 0.0
    paths = [Path(p) for p in paths]
    labels = scored_videos(paths)
    for path in paths:
        result = evaluate(
            path, synthesizer, task, limit, max_windows=max_windows, max_side=max_side, progress=progress,
            perceptual=perceptual, pool_videos=pool_videos, anchors=anchors, labels=labels,
        )  # fmt: skip
        layouts.append(result["layout"])
        seconds += result["seconds"]
        for name, s in result["sets"].items():
            sums.setdefault(name, _Sums()).add(s["psnr"], s["ssim"], s["n"], s.get("lpips"), s["psnr_capped"])
    return _result(sums, ", ".join(dict.fromkeys(layouts)), task, seconds)


def results_table(result: dict[str, Any]) -> Table:
    """A rich table of a result: one row per set."""
    model = f"{result['model']} · " if "model" in result else ""
    table = Table(title=f"{model}{result['layout']} · {result['task']} · {result['seconds']:.1f} s")
    table.add_column("set")
    with_lpips = any("lpips" in s for s in result["sets"].values())
    for header in ("n", "PSNR (dB)", "SSIM", *(("LPIPS",) if with_lpips else ())):
        table.add_column(header, justify="right")
    for name, s in result["sets"].items():
        lpips_cell = (f"{s['lpips']:.4f}" if "lpips" in s else "-",) if with_lpips else ()
        table.add_row(name, str(s["n"]), f"{s['psnr']:.2f}", f"{s['ssim']:.4f}", *lpips_cell)
    return table


def format_results(result: dict[str, Any], width: int = 100) -> str:
    """`results_table` rendered as plain text."""
    buffer = StringIO()
    Console(file=buffer, width=width, color_system=None).print(results_table(result))
    return buffer.getvalue()
