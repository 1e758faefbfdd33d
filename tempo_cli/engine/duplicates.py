"""Duplicated source frames: a frame that repeats the one before it.

A video made at a lower rate and padded to a higher one (old film at 25 fps, a 20 fps webcam in a 30 fps file,
animation drawn on twos) shows each picture twice or three times. Interpolating between a frame and its copy
makes a still followed by a jump: judder. `drop_duplicates` leaves such copies out of the stream, so the engine
spans the real interval between distinct pictures and synthesizes the frames at the copies' times. A longer run
of equal frames is a freeze the video means to show, and is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

import cv2
import numpy as np

from tempo_cli.errors import TempoError

DEFAULT_THRESHOLD = 6.0  # 8-bit levels: the largest block change of a re-encoded copy (film grain reaches ~5)
DEFAULT_MAX_RUN = 2  # copies in a row that are dropped; a longer run is a freeze and kept
BLOCK = 16  # side of the blocks whose mean change is compared, in source pixels


class HasImage(Protocol):
    """A decoded frame with its RGB image (uint8 or uint16)."""

    @property
    def image(self) -> np.ndarray: ...


FrameT = TypeVar("FrameT", bound=HasImage)


def block_change(first: np.ndarray, second: np.ndarray) -> float:
    """The largest mean absolute change of any BLOCK x BLOCK block between two RGB images, in 8-bit levels.

    A block mean ignores codec noise and grain, and the maximum over blocks still sees a small object that moved.
    The blocks are source pixels at any frame size (uint8 or uint16 images, the change rounded to whole levels
    of their depth).
    """
    diff = cv2.absdiff(first, second)
    h, w = diff.shape[:2]
    blocks = cv2.resize(diff, (max(1, w // BLOCK), max(1, h // BLOCK)), interpolation=cv2.INTER_AREA)
    levels = float(blocks.astype(np.float32).mean(axis=-1).max())
    return levels / 257.0 if first.dtype == np.uint16 else levels


def drop_duplicates(
    frames: Iterable[FrameT],
    threshold: float = DEFAULT_THRESHOLD,
    max_run: int = DEFAULT_MAX_RUN,
    on_drop: Callable[[FrameT], None] | None = None,
    keep_before: Callable[[FrameT], bool] | None = None,
) -> Iterator[FrameT]:
    """`frames` without the copies of a previous frame; the frames kept are passed on unchanged.

    A frame is a copy when no block changed by more than `threshold` levels since the last distinct frame.
    Up to `max_run` copies in a row are dropped once a distinct frame follows them, unless `keep_before` says
    that frame must keep what comes before it (a new shot: the copies hold the old one until it starts). A
    longer run (a freeze) and the copies at the very end (which hold the last picture for its time) are kept.
    It reads at most `max_run` frames ahead. `on_drop` is told of each dropped frame.
    """
    check_options(threshold, max_run)
    return _drop(frames, threshold, max_run, on_drop, keep_before or (lambda _frame: False))


def check_options(threshold: float, max_run: int) -> None:
    """TempoError for a threshold that is negative or not finite, or a run shorter than one frame."""
    if not (math.isfinite(threshold) and threshold >= 0):
        raise TempoError(f"the duplicate threshold must be a finite number of levels, 0 or more, got {threshold}")
    if max_run < 1:
        raise TempoError(f"the longest run of dropped duplicates must be 1 or more frames, got {max_run}")


def _drop(
    frames: Iterable[FrameT],
    threshold: float,
    max_run: int,
    on_drop: Callable[[FrameT], None] | None,
    keep_before: Callable[[FrameT], bool],
) -> Iterator[FrameT]:
    last: np.ndarray | None = None
    pending: list[FrameT] = []
    frozen = False
    for frame in frames:
        if last is not None and block_change(last, frame.image) <= threshold:
            if frozen:
                yield frame
                continue
            pending.append(frame)
            if len(pending) > max_run:
                frozen = True
                yield from pending
                pending.clear()
            continue
        if keep_before(frame):
            yield from pending
        elif on_drop is not None:
            for dropped in pending:
                on_drop(dropped)
        pending.clear()
        frozen = False
        last = frame.image
        yield frame
    yield from pending
