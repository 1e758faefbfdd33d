"""The engine: follows the plan, keeps a bounded window of frames and runs the synthesizer."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

import numpy as np

from tempo_cli.engine.borders import find_borders, keep_borders
from tempo_cli.engine.duplicates import DEFAULT_MAX_RUN, check_options, drop_duplicates
from tempo_cli.engine.frame_check import check_frame
from tempo_cli.engine.overlays import OverlayTracker, fill_in, shown_too, take_back
from tempo_cli.engine.planner import Copy, CrossFade, PlanConfig, PlanItem, SourceTime, Synthesize, plan
from tempo_cli.engine.tiling import (
    DEFAULT_OVERLAP,
    Tile,
    TileMerger,
    check_overlap,
    check_tile,
    split,
)
from tempo_cli.errors import TempoError
from tempo_cli.synth.base import SynthesisResult, Synthesizer, mix

CutDetector = Callable[[int, np.ndarray], bool]
# Tiled frames are merged in float32 (RGB and a confidence map: 16 bytes a pixel per target); a window's targets are
# made in passes over all tiles so that these sums stay within about 1 GiB, not all of them at once.
MERGE_BYTES_PER_PIXEL = 16
MERGE_BUDGET_BYTES = 1 << 30
SHOWN_TOO_SHARE = 0.1  # the least share of an anchor's own overlay that others' must add to be filled in with it


class FrameLike(Protocol):
    """A decoded source frame, in order: time in seconds, RGB image (uint8 or uint16)."""

    @property
    def time(self) -> Fraction: ...
    @property
    def image(self) -> np.ndarray: ...


@dataclass(frozen=True)
class EngineConfig:
    """Plan, cut handling, tiling and which duplicated source frames to leave out.

    duplicate_threshold: None keeps every source frame; a number drops copies of the frame before
    (`tempo_cli.engine.duplicates.drop_duplicates`), up to `duplicate_max_run` in a row. keep_overlays: fill in
    still overlays (`tempo_cli.engine.overlays`) before synthesis and take them back from a source frame after.
    """

    plan: PlanConfig
    model_cut_threshold: float = 0.5
    tile: int | None = None
    tile_overlap: int | None = None
    duplicate_threshold: float | None = None
    duplicate_max_run: int = DEFAULT_MAX_RUN
    keep_overlays: bool = True

    def __post_init__(self) -> None:
        check_tile(self.tile)
        check_overlap(self.tile_overlap, self.tile)
        if self.tile is not None:
            object.__setattr__(self, "tile", int(self.tile))
        most = None if self.tile is None else self.tile - math.ceil(self.tile / 4)  # a quarter of each tile new
        if most is not None and self.tile_overlap is not None and self.tile_overlap > most:  # a 1-px step: thousands
            overlap = self.tile_overlap
            raise TempoError(f"the tile overlap must be at most {most} px for {self.tile}-px tiles, got {overlap}")
        if self.duplicate_threshold is not None:
            if self.plan.causal:
                raise TempoError("dropping duplicated frames reads ahead, which causal mode never does")
            check_options(self.duplicate_threshold, self.duplicate_max_run)

    @property
    def overlap(self) -> int:
        """The tile overlap in pixels: `tile_overlap`, or else a quarter of the tile, at least DEFAULT_OVERLAP but at
        most half the tile (512-px tiles overlap by 128: a 720p pan of 48 px per frame made 38 dB seams at 64 and
        59 dB at 128, 66 dB without tiles)."""
        if self.tile_overlap is not None:
            return self.tile_overlap
        assert self.tile is not None, "only tiles overlap"
        return max(self.tile // 4, min(DEFAULT_OVERLAP, self.tile // 2))


@dataclass
class EngineStats:
    """Counts for the closing summary."""

    frames_in: int = 0
    last_time: Fraction | None = None  # the time of the last source frame
    frames_out: int = 0
    synthesized: int = 0
    scene_cuts: int = 0
    model_cuts: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class OutputFrame:
    """An output frame at `time` seconds from the start of the output."""

    time: Fraction
    image: np.ndarray
    synthesized: bool
    confidence: np.ndarray | None = None


@dataclass(frozen=True)
class _Detected:
    """A source frame with its scene-cut flag."""

    time: Fraction
    image: np.ndarray
    cut: bool


@dataclass
class _Fill:
    """An overlay to fill in one source frame at for a step: its mask, the mask's digest (a cache key) and the frame
    filled in, made when first needed and then shared by all tiles."""

    mask: np.ndarray
    digest: str
    image: np.ndarray | None = None


@dataclass
class _Window:
    """Recent source frames, their overlays and prepared synthesizer state, keyed by index (and tile, and the
    digest of the overlay filled in)."""

    images: dict[int, np.ndarray] = field(default_factory=dict)
    times: dict[int, Fraction] = field(default_factory=dict)
    overlays: dict[int, np.ndarray] = field(default_factory=dict)  # only frames with one
    prepared: dict[tuple[int, Tile | None, str], object] = field(default_factory=dict)

    def forget_before(self, index: int) -> None:
        for key in [k for k in self.images if k < index]:
            del self.images[key]
            del self.times[key]
            self.overlays.pop(key, None)
        for pkey in [k for k in self.prepared if k[0] < index]:
            del self.prepared[pkey]


class Engine:
    """Turns a stream of source frames into a stream of output frames."""

    def __init__(self, synthesizer: Synthesizer, config: EngineConfig, cut_detector: CutDetector | None = None) -> None:
        self.synthesizer = synthesizer
        self.config = config
        self.cut_detector = cut_detector
        self.stats = EngineStats()
        self._window = _Window()
        searched = config.keep_overlays and synthesizer.follows_motion  # a cross-fade has no motion to keep them out of
        self._overlays = OverlayTracker() if searched else None

    def _detected(self, frames: Iterable[FrameLike]) -> Iterator[_Detected]:
        """Every source frame, counted, with whether a new shot starts at it."""
        first: np.ndarray | None = None
        for index, frame in enumerate(frames):
            image = check_frame(frame.image, index, first)
            first = image if first is None else first
            cut = bool(self.cut_detector(index, image)) if self.cut_detector else False
            self.stats.frames_in += 1
            self.stats.last_time = frame.time
            self.stats.scene_cuts += int(cut)
            yield _Detected(frame.time, image, cut)

    def _dropped(self, _frame: _Detected) -> None:
        self.stats.duplicates += 1

    def _source_times(self, frames: Iterable[FrameLike]) -> Iterator[SourceTime]:
        """The frames the plan works from, numbered 0, 1, 2... in order (duplicates left out leave no gap).

        Copies held before a cut stay: they show the old shot until the new one starts.
        """
        kept: Iterable[_Detected] = self._detected(frames)
        threshold = self.config.duplicate_threshold
        if threshold is not None:
            max_run = self.config.duplicate_max_run
            kept = drop_duplicates(kept, threshold, max_run, self._dropped, keep_before=lambda f: f.cut)
        for index, frame in enumerate(kept):
            self._window.images[index] = frame.image
            self._window.times[index] = frame.time
            overlay = self._overlays.add(frame.image) if self._overlays else None
            if overlay is not None:
                self._window.overlays[index] = overlay
            yield SourceTime(index, frame.time, frame.cut)

    def run(self, frames: Iterable[FrameLike]) -> Iterator[OutputFrame]:
        """Output frames in order; memory holds only the anchor window."""
        origin: Fraction | None = None
        keep = self.config.plan.anchors + 1
        for item in plan(self._source_times(frames), self.config.plan):
            if origin is None:
                origin = self._window.times[0] - self.config.plan.behind * self.config.plan.period
            for out in self._render(item):
                self.stats.frames_out += 1
                yield OutputFrame(out.time - origin, out.image, out.synthesized, out.confidence)
            self._window.forget_before(_lowest_index(item) - keep)

    def _render(self, item: PlanItem) -> list[OutputFrame]:
        images = self._window.images
        if isinstance(item, Copy):
            return [OutputFrame(item.time, images[item.source], False)]
        if isinstance(item, CrossFade):
            return [OutputFrame(item.time, mix(images[item.first], images[item.second], item.weight), False)]
        return self._synthesize(item)

    def _synthesize(self, item: Synthesize) -> list[OutputFrame]:
        times = [float(self._window.times[i]) for i in item.anchors]
        targets = [float(t) for t in item.times]
        sample = self._window.images[item.anchors[0]]
        masks = self._overlay_masks(item.anchors)
        result = self._run_tiles(item.anchors, masks, times, targets, sample.shape[0], sample.shape[1])
        self.stats.synthesized += len(targets)
        nearest_anchor = [min(item.anchors, key=lambda i: abs(self._window.times[i] - t)) for t in item.times]
        nearest = [self._window.images[i] for i in nearest_anchor]
        if result.cut_score is not None and result.cut_score > self.config.model_cut_threshold:
            self.stats.model_cuts += 1
            return [OutputFrame(t, image, False) for t, image in zip(item.times, nearest, strict=True)]
        confidence: list[np.ndarray | None] = [None] * len(item.times)
        if result.confidence:
            confidence = list(result.confidence)
        borders = find_borders([self._window.images[i] for i in item.anchors])
        frames = [keep_borders(f, n, borders) if borders else f for f, n in zip(result.frames, nearest, strict=True)]
        if masks:
            frames = [
                self._take_back(f, n, t, item.anchors, masks)
                for f, n, t in zip(frames, nearest_anchor, item.times, strict=True)
            ]
        return [
            OutputFrame(t, frame, True, conf) for t, frame, conf in zip(item.times, frames, confidence, strict=True)
        ]

    def _overlay_masks(self, anchors: tuple[int, ...]) -> dict[int, np.ndarray]:
        """The overlay each of `anchors` is filled in at: its own, and the pixels of the others' that it shows too
        where they add more than `SHOWN_TOO_SHARE` of its own (a caption found in one anchor before the others, a
        new subtitle line: the synthesizer must see all anchors alike). The few pixels by which two frames' overlays
        differ are left out, or each frame would be prepared once for every pair it is in."""
        images, overlays = self._window.images, self._window.overlays
        found = [i for i in anchors if i in overlays]
        masks = {}
        for i in anchors:
            own = overlays.get(i)
            others = [shown_too(images[i], images[j], overlays[j]) for j in found if j != i]
            shown = np.logical_or.reduce(others) if others else None
            if own is None:
                mask = shown
            elif shown is not None and np.count_nonzero(shown & ~own) > SHOWN_TOO_SHARE * np.count_nonzero(own):
                mask = own | shown
            else:
                mask = own
            if mask is not None and mask.any():
                masks[i] = mask
        return masks

    def _take_back(
        self, frame: np.ndarray, nearest: int, time: Fraction, anchors: tuple[int, ...], masks: dict[int, np.ndarray]
    ) -> np.ndarray:
        """`frame` at `time` with the overlays (`masks`) of the anchors just before and after it (outside their span,
        of the `nearest` anchor alone: the frame comes from it) taken from that nearest anchor."""
        times = self._window.times
        before = [i for i in anchors if times[i] <= time]
        after = [i for i in anchors if times[i] >= time]
        around = (
            {max(before, key=times.__getitem__), min(after, key=times.__getitem__)} if before and after else {nearest}
        )
        taken = [masks[i] for i in around if i in masks]
        return take_back(frame, self._window.images[nearest], np.logical_or.reduce(taken)) if taken else frame

    def _prepared(self, index: int, tile: Tile | None, fill: _Fill | None) -> object:
        """The synthesizer's state for source frame `index` (the `tile` of it), with `fill` filled in if given."""
        key = (index, tile, "" if fill is None else fill.digest)
        if key not in self._window.prepared:
            image = self._window.images[index]
            if fill is not None:
                if fill.image is None:
                    fill.image = fill_in(image, fill.mask)
                image = fill.image
            frame_size = (image.shape[0], image.shape[1])
            if tile is not None:
                image = np.ascontiguousarray(image[tile.y0 : tile.y1, tile.x0 : tile.x1])
            self._window.prepared[key] = self.synthesizer.prepare(image, frame_size)
        return self._window.prepared[key]

    def _run_tiles(
        self,
        anchors: tuple[int, ...],
        masks: dict[int, np.ndarray],
        times: list[float],
        targets: list[float],
        h: int,
        w: int,
    ) -> SynthesisResult:
        tile = self.config.tile
        fills = {
            i: _Fill(mask, hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).hexdigest())
            for i, mask in masks.items()
        }
        if tile is None or (h <= tile and w <= tile):
            prepared = [self._prepared(i, None, fills.get(i)) for i in anchors]
            return self.synthesizer.synthesize(prepared, times, targets)
        overlap = self.config.overlap
        dtype = self._window.images[anchors[0]].dtype
        tiles = split(h, w, tile, overlap)
        merger = TileMerger(h, w, tiles, overlap)
        per_pass = max(1, MERGE_BUDGET_BYTES // (h * w * MERGE_BYTES_PER_PIXEL))
        frames: list[np.ndarray] = []
        confidence: list[np.ndarray] | None = []
        cut_score = None
        for start in range(0, len(targets), per_pass):
            chunk = targets[start : start + per_pass]
            acc = [merger.start(3) for _ in chunk]
            conf: list[np.ndarray] | None = [merger.start() for _ in chunk]
            for rect in tiles:
                prepared = [self._prepared(i, rect, fills.get(i)) for i in anchors]
                res = self.synthesizer.synthesize(prepared, times, chunk)
                for image, frame in zip(acc, res.frames, strict=True):
                    merger.add(image, rect, frame.astype(np.float32))
                if res.confidence is None:
                    conf = None
                elif conf is not None:
                    for image, c in zip(conf, res.confidence, strict=True):
                        merger.add(image, rect, c)
                if res.cut_score is not None:
                    cut_score = max(cut_score or 0.0, res.cut_score)
            frames += [merger.result(image, dtype) for image in acc]
            confidence = None if conf is None or confidence is None else confidence + [merger.result(c) for c in conf]
        return SynthesisResult(frames, confidence, cut_score)


def _lowest_index(item: PlanItem) -> int:
    if isinstance(item, Copy):
        return item.source
    if isinstance(item, CrossFade):
        return item.first
    return min(item.anchors)
