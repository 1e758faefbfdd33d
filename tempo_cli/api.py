"""The public library API: load a synthesizer, interpolate or extrapolate frames and videos.

The CLI is a thin layer over this module. Files are handled by tempo_cli.video,
frame decisions by tempo_cli.engine; this module wires them together.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from tempo_cli.devices import resolve_device, resolve_precision
from tempo_cli.engine.cuts import SceneCutDetector
from tempo_cli.engine.duplicates import DEFAULT_MAX_RUN
from tempo_cli.engine.planner import PlanConfig, most_targets
from tempo_cli.engine.runner import Engine, EngineConfig, EngineStats
from tempo_cli.engine.tile_size import auto_tile
from tempo_cli.engine.tiling import check_overlap, check_tile
from tempo_cli.errors import TempoError
from tempo_cli.synth import Synthesizer, create_synthesizer
from tempo_cli.synth.neural import parse_scale
from tempo_cli.timing import output_rate, parse_rate
from tempo_cli.video.carry import AudioPadding
from tempo_cli.video.imageseq import ImageSequenceWriter
from tempo_cli.video.orientation import quarter_turn
from tempo_cli.video.reader import SourceFrame, VideoError, VideoInfo
from tempo_cli.video.sources import chroma_for, open_sink, open_source
from tempo_cli.video.writer import EncodeOptions, validate_output_path

Warn = Callable[[str], None]


def load_model(
    name: str = "tempo",
    weights: str | Path | None = None,
    device: str = "auto",
    precision: str = "auto",
    batch: int | None = None,
    scale: str | float = "auto",
) -> Synthesizer:
    """A synthesizer by name: `tempo` (shipped weights), `blend`, `flow`, or a TEMPO config with weights.

    `scale` is TEMPO's working scale: `auto` (see `tempo_cli.synth.neural.auto_scale`) or a number in (0, 1].
    `batch` is how many target frames TEMPO makes per call: None for `tempo_cli.synth.neural.default_batch`.
    """
    dev = resolve_device(device)
    return create_synthesizer(name, weights, dev, resolve_precision(precision, dev), batch, parse_scale(scale))


@dataclass(frozen=True)
class RunOptions:
    """What one run of `interpolate` or `extrapolate` does."""

    factor: int | None = 2
    fps: Fraction | None = None
    anchors: int = 2
    ahead: int = 0
    behind: int = 0
    causal: bool = False
    cut_detect: bool = True
    cut_threshold: float = 27.0
    cut_mode: str = "repeat"
    tile: int | str | None = None
    tile_overlap: int | None = None  # None: a quarter of the tile, 64 px to half the tile (`EngineConfig.overlap`)
    input_fps: Fraction | None = None
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    overwrite: bool = False
    save_maps: Path | None = None
    slow_motion: bool = False  # play the output at the input's rate: factor (or fps / input fps) times slower
    duplicate_threshold: float | None = None  # drop copies of the previous frame (`engine.duplicates`); None: keep
    keep_overlays: bool = True  # keep still captions and logos out of the motion (`engine.overlays`)

    def __post_init__(self) -> None:
        """Rates given as numbers become exact (29.97 -> 30000/1001, as `parse_rate`); a bad tile raises TempoError."""
        for name in ("fps", "input_fps"):
            rate = getattr(self, name)
            if rate is not None and not isinstance(rate, Fraction):
                object.__setattr__(self, name, parse_rate(str(rate)))
        if self.tile != "auto":
            check_tile(self.tile)
        check_overlap(self.tile_overlap, self.tile)  # where 'auto' chooses whole frames the engine never sees it


@dataclass(frozen=True)
class RunSummary:
    """What a run did, for the closing summary."""

    output: Path
    frames_in: int
    frames_out: int
    synthesized: int
    scene_cuts: int
    model_cuts: int
    skipped_packets: int
    seconds: float
    output_bytes: int
    duplicates: int = 0


def _peek(frames: Iterator[SourceFrame], needed: int, what: str) -> Iterator[SourceFrame]:
    head = list(itertools.islice(frames, needed))
    if len(head) < needed:
        raise VideoError(f"{what} needs at least {needed} frames; the input has {len(head)}")
    return itertools.chain(head, frames)


def _dir_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size


class Interpolator:
    """Runs a synthesizer over videos, image folders or in-memory frames."""

    def __init__(self, synthesizer: Synthesizer | None = None) -> None:
        self.synthesizer = synthesizer or load_model()

    def interpolate_frames(
        self,
        frames: Sequence[np.ndarray],
        factor: int = 2,
        anchors: int = 2,
        cut_threshold: float | None = None,
        tile: int | None = None,
        tile_overlap: int | None = None,
        duplicate_threshold: float | None = None,
        keep_overlays: bool = True,
    ) -> list[np.ndarray]:
        """`factor` times as many frames from RGB arrays (uint8 or uint16), last frame held to keep the duration.

        cut_threshold: scenedetect threshold, or None for no cut detection. duplicate_threshold: None keeps
        every frame; a number of 8-bit levels synthesizes the frames at copies of the frame before instead
        (`tempo_cli.engine.duplicates`). keep_overlays: still captions and logos are kept out of the motion
        (`tempo_cli.engine.overlays`).
        """
        if len(frames) < 2:
            raise TempoError(f"interpolation needs at least 2 frames, got {len(frames)}")
        plan = PlanConfig(rate=output_rate(Fraction(1), factor, None), period=Fraction(1), anchors=anchors)
        config = EngineConfig(
            plan,
            tile=tile,
            tile_overlap=tile_overlap,
            duplicate_threshold=duplicate_threshold,
            keep_overlays=keep_overlays,
        )
        return self._run_frames(frames, config, cut_threshold)

    def extrapolate_frames(
        self,
        frames: Sequence[np.ndarray],
        ahead: int = 1,
        behind: int = 0,
        anchors: int = 3,
        cut_threshold: float | None = None,
        tile: int | None = None,
        tile_overlap: int | None = None,
        keep_overlays: bool = True,
    ) -> list[np.ndarray]:
        """`frames` with `behind` predicted frames before the first and `ahead` after the last, one frame interval
        apart, each predicted from the `anchors` frames nearest it (RGB arrays, uint8 or uint16).

        cut_threshold: scenedetect threshold, or None for no cut detection; nothing is predicted from a shot that a
        cut ends. keep_overlays as in `interpolate_frames`. Frame-rate raising from past frames only is
        `interpolate_video` with `RunOptions(causal=True)`.
        """
        if len(frames) < anchors:
            raise TempoError(f"extrapolation from {anchors} anchors needs at least {anchors} frames, got {len(frames)}")
        plan = PlanConfig(Fraction(1), Fraction(1), anchors, ahead=ahead, behind=behind, fill_gaps=False)
        config = EngineConfig(plan, tile=tile, tile_overlap=tile_overlap, keep_overlays=keep_overlays)
        return self._run_frames(frames, config, cut_threshold)

    def _run_frames(
        self, frames: Sequence[np.ndarray], config: EngineConfig, cut_threshold: float | None
    ) -> list[np.ndarray]:
        """The engine's output for in-memory frames one second apart; no output frame is one of `frames` itself."""
        detector = SceneCutDetector(cut_threshold) if cut_threshold is not None else None
        engine = Engine(self.synthesizer, config, detector)
        source = (SourceFrame(i, Fraction(i), img) for i, img in enumerate(frames))
        return [out.image if out.synthesized else out.image.copy() for out in engine.run(source)]

    def check_outputs(self, src: Path, dst: str | Path, options: RunOptions) -> None:
        """Raise TempoError unless `dst` and the `save_maps` folder can be written (see `validate_output_path`)."""
        validate_output_path(dst, src, options.overwrite)
        if options.save_maps is None:
            return
        if not self.synthesizer.has_confidence:
            raise TempoError(f"{self.synthesizer.name} has no confidence map to save; --save-maps needs a TEMPO model")
        maps, out = Path(options.save_maps).resolve(), Path(dst).resolve()
        if maps == out or maps.is_relative_to(out) or out.is_relative_to(maps):
            raise TempoError(f"the maps folder and the output must not contain each other: {options.save_maps}, {dst}")
        validate_output_path(options.save_maps, src, options.overwrite, folder=True)

    def interpolate_video(
        self,
        src: str | Path,
        dst: str | Path,
        options: RunOptions | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        on_warning: Warn | None = None,
    ) -> RunSummary:
        """Interpolate (or, with ahead/behind/causal, extrapolate) `src` into `dst`.

        Writes to a temporary file beside `dst` and renames it at the end; on any
        error or interrupt nothing is left at `dst`.
        """
        options = options or RunOptions()
        src, dst = Path(src), Path(dst)
        warn = on_warning or (lambda _msg: None)
        start = time.perf_counter()
        source = open_source(src, options.input_fps, warn, chroma_for(dst))
        with source:
            info = source.info
            self.check_outputs(src, dst, options)
            extrapolating = options.ahead or options.behind
            same_rate = extrapolating and not options.causal and options.factor is None and options.fps is None
            rate = info.fps if same_rate else output_rate(info.fps, options.factor, options.fps)
            period = 1 / info.fps
            slowdown = _slowdown(options, rate, info.fps)
            plan = PlanConfig(
                rate=rate,
                period=period,
                anchors=options.anchors,
                cut_mode=options.cut_mode,
                causal=options.causal,
                ahead=options.ahead,
                behind=options.behind,
                fill_gaps=not same_rate or options.duplicate_threshold is not None,  # dropped copies are made
            )
            tile = options.tile
            if tile == "auto":
                scale = self.synthesizer.working_scale(info.height, info.width)
                gap = 1 if options.duplicate_threshold is None else DEFAULT_MAX_RUN + 1  # copies left out
                tile = auto_tile(info.width, info.height, options.anchors, scale, most_targets(plan, gap))
            assert tile is None or isinstance(tile, int)
            detector = SceneCutDetector(options.cut_threshold, float(info.fps)) if options.cut_detect else None
            config = EngineConfig(
                plan,
                tile=tile,
                tile_overlap=None if tile is None else options.tile_overlap,  # 'auto' may choose whole frames
                duplicate_threshold=options.duplicate_threshold,
                keep_overlays=options.keep_overlays,
            )
            engine = Engine(self.synthesizer, config, detector)
            predicting = bool(extrapolating or options.causal)
            needed = options.anchors if predicting else 2
            frames = _peek(iter(source), needed, "extrapolation" if predicting else "interpolation")
            pad = AudioPadding(options.behind * period, to_end=bool(extrapolating))
            total = _expected_frames(info, rate, plan)
            with (
                open_sink(
                    dst, rate / slowdown, info.width, info.height, options.encode, info, pad, warn, slowdown=slowdown
                ) as sink,
                _map_sink(options.save_maps, info) as maps,
            ):
                for n, out in enumerate(engine.run(frames)):
                    sink.write(out.image, out.time * slowdown)
                    if maps is not None and out.confidence is not None:
                        maps.save(_map_image(out.confidence), n + 1)
                    if progress:
                        progress(n + 1, total)
                sink.commit()
                if maps is not None and maps.saved:
                    _commit_maps(maps, dst)  # after the video: maps of a video that failed to finish are not kept
                elif maps is not None:
                    warn("no frame was synthesized, so there are no confidence maps to save")
            _check_complete(src, engine.stats, info, warn)
        return _summary(dst, engine.stats, getattr(source, "skipped_packets", 0), time.perf_counter() - start)


def _slowdown(options: RunOptions, rate: Fraction, fps: Fraction) -> Fraction:
    """How many times slower than the input the output plays: rate / fps in slow motion, else 1."""
    if not options.slow_motion:
        return Fraction(1)
    if options.ahead or options.behind:
        raise TempoError("slow motion cannot add frames before or after the clip (ahead, behind)")
    return rate / fps


def _expected_frames(info: VideoInfo, rate: Fraction, plan: PlanConfig) -> int | None:
    """How many frames the run will write, for the progress bar: the listed frames and the added ones when gaps are
    left, else the duration (frames a variable-rate source left out are made too) at the output rate."""
    count = info.frame_count
    if not count:
        return None
    added = plan.ahead + plan.behind
    if not plan.fill_gaps:
        return count + added
    span = info.duration if info.duration else count / info.fps
    return round((span + added * plan.period) * rate)


def _check_complete(src: Path, stats: EngineStats, info: VideoInfo, warn: Warn) -> None:
    """Warn when far fewer frames decoded than the container lists (a cut-off download or copy).

    Only a header that counts its frames is checked. Its count is lowered to its duration times the frame rate where
    that is less: a file cut without re-encoding (ffmpeg -ss -c copy) keeps the frames before the cut, hidden by an
    edit list, in its count (a duration alone is no count: variable-rate video has fewer frames than it implies).
    Containers' counts can be a frame or two off, so the shortfall must exceed 2 frames and 5%, and the frames must
    also stop that far short of the duration: AVI counts the frames a capture dropped (empty entries) with the rest.
    """
    listed = info.frame_count
    if listed and info.duration is not None:
        listed = min(listed, round(info.duration * info.fps))
    if not listed or stats.frames_in >= listed - (margin := max(2, listed // 20)):
        return
    reached = stats.last_time
    if info.duration is not None and reached is not None and reached >= info.duration - margin / info.fps:
        return
    warn(f"{src} ended after {stats.frames_in} of the {listed} frames its header lists; it may be truncated")


def _commit_maps(maps: ImageSequenceWriter, video: str | Path) -> None:
    """Move the maps into place once `video` is: a failure says that the video was written and the maps were not."""
    try:
        maps.commit()
    except OSError as exc:
        raise TempoError(f"{video} was written, but not the maps in {maps.target}: {exc.strerror or exc}") from exc


def _map_sink(folder: Path | None, info: VideoInfo) -> AbstractContextManager[ImageSequenceWriter | None]:
    """A writer of conf_NNNNNN.png files into `folder` (committed like the output, turned as the source is shown),
    or nothing."""
    if folder is None:
        return nullcontext()
    return ImageSequenceWriter(folder, prefix="conf_", turn=quarter_turn(info.display_matrix))


def _map_image(confidence: np.ndarray) -> np.ndarray:
    return np.clip(confidence * 255 + 0.5, 0, 255).astype(np.uint8)


def _summary(dst: Path, stats: EngineStats, skipped: int, seconds: float) -> RunSummary:
    return RunSummary(
        output=dst,
        frames_in=stats.frames_in,
        frames_out=stats.frames_out,
        synthesized=stats.synthesized,
        scene_cuts=stats.scene_cuts,
        model_cuts=stats.model_cuts,
        duplicates=stats.duplicates,
        skipped_packets=skipped,
        seconds=seconds,
        output_bytes=_dir_size(dst),
    )
