"""The planner: source timestamps (and cut flags) in, a stream of output-frame decisions out.

Pure and streaming: it reads source times lazily, looks ahead only as far as
its anchor window needs, and never touches images. Times are exact fractions
of a second on the source timeline.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction

from tempo_cli.errors import TempoError, is_whole

MAX_ANCHORS = 8  # source frames per model call; more only costs memory and time
MAX_ADDED = 10_000  # frame intervals `ahead` or `behind` may add: a typo of a few digits otherwise ran for years
MAX_TARGETS = 16  # output frames per Synthesize item: the engine holds an item's frames until they are all made


@dataclass(frozen=True)
class SourceTime:
    """A source frame's index, presentation time and whether a new shot starts at it."""

    index: int
    time: Fraction
    cut_before: bool = False


@dataclass(frozen=True)
class Copy:
    """Output the source frame `source` unchanged."""

    time: Fraction
    source: int


@dataclass(frozen=True)
class Synthesize:
    """Make consecutive output frames at `times` from the source frames `anchors` (all in one shot)."""

    times: tuple[Fraction, ...]
    anchors: tuple[int, ...]


@dataclass(frozen=True)
class CrossFade:
    """Blend two source frames across a scene cut (`--cut-mode blend`)."""

    time: Fraction
    first: int
    second: int
    weight: float


PlanItem = Copy | Synthesize | CrossFade


@dataclass(frozen=True)
class PlanConfig:
    """Output rate and mode.

    rate: output frames per second. period: the nominal source frame interval
    (1 / input fps), used for the last frame's duration and for how far the
    `behind` and `ahead` frames reach before and after the clip. causal: synthesize from past frames only.
    fill_gaps: make a frame at each output time between source frames (a higher rate, or a frame a variable-rate
    source left out); False passes the source frames alone, each at the nearest output time after the last one's,
    with `behind` and `ahead` frames added (extrapolation at the source's rate adds just those).
    """

    rate: Fraction
    period: Fraction
    anchors: int = 2
    cut_mode: str = "repeat"
    causal: bool = False
    ahead: int = 0
    behind: int = 0
    fill_gaps: bool = True

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.period <= 0:
            raise TempoError("rate and period must be positive")
        if self.causal and not self.fill_gaps:
            raise TempoError("causal mode makes the frames between source frames; it cannot leave the gaps")
        if not is_whole(self.anchors) or not 2 <= self.anchors <= MAX_ANCHORS:
            raise TempoError(f"anchors must be a whole number from 2 to {MAX_ANCHORS}, got {self.anchors!r}")
        if self.cut_mode not in ("repeat", "blend"):
            raise TempoError(f"unknown cut mode {self.cut_mode!r}")
        if not (is_whole(self.ahead) and is_whole(self.behind)) or self.ahead < 0 or self.behind < 0:
            raise TempoError(
                f"ahead and behind must be whole numbers of frames, 0 or more, got {self.ahead!r} and {self.behind!r}"
            )
        if max(self.ahead, self.behind) > MAX_ADDED:
            raise TempoError(f"ahead and behind may add at most {MAX_ADDED} frame intervals each")
        for name in ("anchors", "ahead", "behind"):  # NumPy integers become ints
            object.__setattr__(self, name, int(getattr(self, name)))

    @property
    def tolerance(self) -> Fraction:
        """Output times this close to a source time reuse that frame: a quarter of an output frame.

        It absorbs timestamp rounding (Matroska stores milliseconds) and sources whose frames sit a few ms off their
        nominal grid (a first interval of 887/29847 s, then 1/29.83 s: every later frame 3.8 ms off), which a 2 ms
        limit had replaced with made frames; a quarter frame's shift is far below what anyone sees.
        """
        return Fraction(1, 4) / self.rate


def most_targets(config: PlanConfig, gap: int = 1) -> int:
    """A bound on the output frames one Synthesize item holds, at most MAX_TARGETS, where source frames lie at most
    `gap` periods apart (1: a steady source; more where copies were left out): those made between two source frames,
    or the frames added ahead or behind.

    Made frames lie more than the tolerance (a quarter of an output frame) from both source frames, so a gap of s
    output frames holds s - 1 of them where s is whole (the grid meets every source frame) and up to ceil(s - 1/2)
    where it is not, as many as the grid's phase against the source frames allows.
    """
    per_period = config.rate * config.period
    steps = per_period * gap  # output frames between two source frames
    between = 0
    if config.fill_gaps:
        between = int(steps) - 1 if steps.denominator == 1 else math.ceil(steps - Fraction(1, 2))
    ahead = math.ceil(config.ahead * per_period) if config.fill_gaps else config.ahead
    behind = math.ceil(config.behind * per_period)
    return min(MAX_TARGETS, max(between, ahead, behind, 1))


class _Lookahead:
    """Random access to the recent part of a lazily read stream of SourceTime."""

    def __init__(self, items: Iterable[SourceTime]) -> None:
        self._it = iter(items)
        self._items: dict[int, SourceTime] = {}
        self._next = 0
        self._ended = False

    def get(self, index: int) -> SourceTime | None:
        while not self._ended and self._next <= index:
            try:
                item = next(self._it)
            except StopIteration:
                self._ended = True
                break
            if item.index != self._next:
                raise TempoError(f"source frames must be numbered 0, 1, 2...; got {item.index} after {self._next - 1}")
            self._items[item.index] = item
            self._next += 1
        return self._items.get(index)

    def forget_before(self, index: int) -> None:
        for key in [k for k in self._items if k < index]:
            del self._items[key]


def _shot_start(src: _Lookahead, k: int, floor: int) -> int:
    """First index of the shot containing k, searching no further back than floor (or 0)."""
    i = k
    while i > max(floor, 0):
        item = src.get(i)
        if item is None or item.cut_before:
            return i
        i -= 1
    return i


def _window(src: _Lookahead, k: int, anchors: int, causal: bool) -> tuple[int, ...]:
    """Anchor indices for targets just after frame k, all in k's shot."""
    if causal:
        lo = _shot_start(src, k, k - anchors + 1)
        return tuple(range(lo, k + 1))
    half = anchors // 2
    start = _shot_start(src, k, k - (anchors - half) + 1)
    indices = []
    for i in range(start, k + half + 1):
        item = src.get(i)
        if item is None or (i > k and item.cut_before):
            break
        indices.append(i)
    lo_needed = max(start, indices[-1] - anchors + 1)
    return tuple(i for i in indices if i >= lo_needed)[-anchors:]


def _edge_window(src: _Lookahead, first: int, anchors: int) -> tuple[int, ...]:
    """Up to `anchors` frames from `first` forward within its shot (for frames before the clip)."""
    out = [first]
    for i in range(first + 1, first + anchors):
        item = src.get(i)
        if item is None or item.cut_before:
            break
        out.append(i)
    return tuple(out)


def _predict(times: Iterable[Fraction], anchors: tuple[int, ...], fallback: int) -> Iterator[PlanItem]:
    """Items that predict `times` from `anchors`, MAX_TARGETS at a time, taken from `times` as they are yielded (any
    number of frames ahead or behind); copies of frame `fallback` where there is only one anchor."""
    if len(anchors) < 2:
        yield from (Copy(t, fallback) for t in times)
        return
    remaining = iter(times)
    while chunk := tuple(itertools.islice(remaining, MAX_TARGETS)):
        yield Synthesize(chunk, anchors)


def _merge(items: list[PlanItem]) -> list[PlanItem]:
    """Join consecutive Synthesize items that share anchors, so one call serves them all (up to MAX_TARGETS)."""
    out: list[PlanItem] = []
    for item in items:
        prev = out[-1] if out else None
        if (
            isinstance(item, Synthesize)
            and isinstance(prev, Synthesize)
            and prev.anchors == item.anchors
            and len(prev.times) + len(item.times) <= MAX_TARGETS
        ):
            out[-1] = Synthesize(prev.times + item.times, item.anchors)
        else:
            out.append(item)
    return out


def plan(frames: Iterable[SourceTime], config: PlanConfig) -> Iterator[PlanItem]:
    """Output frames in order. The output timeline starts `behind` periods before the first frame and ends `ahead`
    periods after the last one's; frames added there lie on the output rate's grid, like all others.

    Items for the interval after frame k are all yielded before frame k+1 is
    read in causal mode; otherwise the lookahead is the anchor window's.
    """
    src = _Lookahead(frames)
    first = src.get(0)
    if first is None:
        return
    eps = config.tolerance
    step = 1 / config.rate
    if config.behind:
        before = _grid_between(first.time - config.behind * config.period - eps, first.time - eps, first.time, step)
        yield from _predict(before, _edge_window(src, 0, config.anchors), 0)
    j = 0
    k = 0
    cur = first
    while True:
        nxt = None if config.causal else src.get(k + 1)
        end = nxt.time if nxt is not None else cur.time + config.period
        items: list[PlanItem] = []
        if not config.fill_gaps:
            j = max(j, round((cur.time - first.time) / step))
            items.append(Copy(first.time + j * step, k))
            j += 1
        while config.fill_gaps and _in_interval(first.time + j * step, cur, nxt, end, eps):
            t = first.time + j * step
            j += 1
            if abs(t - cur.time) <= eps:
                items.append(Copy(t, k))
            elif t < cur.time:
                items += _predict([t], _window(src, k - 1, config.anchors, True), k - 1)
            elif nxt is not None and nxt.cut_before:
                items.append(_across_cut(t, cur, nxt, config.cut_mode))
            elif nxt is None and not config.causal:
                items.append(Copy(t, k))
            else:
                items += _predict([t], _window(src, k, config.anchors, config.causal), k)
        yield from _merge(items)
        src.forget_before(k - config.anchors)
        following = src.get(k + 1)
        if following is None:
            break
        k, cur = k + 1, following
    if config.ahead:
        end = cur.time + (config.ahead + 1) * config.period - eps
        after = _grid_between(first.time + j * step - eps, end, first.time, step)
        if not config.fill_gaps:  # exactly `ahead` times, after the last frame's (it may sit off the grid)
            after = (first.time + (j + i) * step for i in range(config.ahead))
        yield from _predict(after, _window(src, k, config.anchors, causal=True), k)


def _in_interval(t: Fraction, cur: SourceTime, nxt: SourceTime | None, end: Fraction, eps: Fraction) -> bool:
    """Whether output time `t` is planned with the current source frame: before the next frame's reach (`end` less
    the tolerance), or within reach of both and nearer the current one (else a frame closer to the next output time
    than the tolerance would be skipped for one farther away)."""
    if t < end - eps:
        return True
    return nxt is not None and abs(t - cur.time) <= eps and t - cur.time < nxt.time - t


def _grid_between(low: Fraction, high: Fraction, origin: Fraction, step: Fraction) -> Iterator[Fraction]:
    """The output grid's times (origin + i * step, i of either sign) from `low` up to, not including, `high`."""
    first = math.ceil((low - origin) / step)
    last = math.ceil((high - origin) / step)
    return (origin + i * step for i in range(first, last))


def _across_cut(t: Fraction, cur: SourceTime, nxt: SourceTime, mode: str) -> PlanItem:
    if mode == "blend":
        weight = float((t - cur.time) / (nxt.time - cur.time))
        return CrossFade(t, cur.index, nxt.index, weight)
    nearest = cur.index if t - cur.time <= nxt.time - t else nxt.index
    return Copy(t, nearest)
