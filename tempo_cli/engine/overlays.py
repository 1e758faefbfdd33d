"""Still overlays over a moving picture (burnt-in captions, a channel's logo, a game's HUD), found over many frames.

A caption's still letters hold the motion the network follows near zero for tens of pixels around them, so the
scene there lags behind. Two anchors cannot tell a caption from still scenery; a run of frames can: an overlay is
detail of its own that stays still for `STILL_FRAMES` source frames in a row while the picture around it moves.
Still is measured against each pixel's mean over its run, so that grain and compression noise average out while a
slow drift adds up; moving, from one frame to the next. Frames are searched at `ANALYSIS_SIDE`, so the sizes below
do not depend on the video's. Such pixels are filled in (OpenCV's Telea inpainting) in the frames the synthesizer
sees, so that it follows the scene under them, and made frames take them back from the nearest source frame.
"""

from __future__ import annotations

import cv2
import numpy as np

ANALYSIS_SIDE = 360  # frames are searched with their short side scaled down to this (px), as the sizes below are
STILL_FRAMES = 8  # source frames in a row a pixel must stay still to be part of an overlay
STILL_BOX = 0.03  # the most a 3x3 box may differ from its run's mean (mean of the largest channel change, 0-1): still
QUIET_BOX = 0.02  # the most a 3x3 box may change from the frame before (the same measure) where it counts as quiet
STILL_PIXEL = 0.08  # the most one pixel may differ from its run's mean (largest channel, 0-1) to be taken back
DETAIL = 0.3  # the least range of grey (0-1) among the still pixels of a 5x5 box: lettering, a logo's edge
ISLAND_RADIUS = 24  # the box (49 px across) in which...
MOST_STILL_AROUND = 0.6  # ... at most this share may be quiet: an island, not a still background or a still shot
GROW = 3  # pixels an overlay's detail grows into its still neighbours: the inside of letters, their outline
RING = (3, 8)  # the ring around each overlay (px from it) whose pixels...
RING_MOVING = 0.95  # ... must nearly all have been not quiet within the run: the scene moves, it is no still scenery
_RUN_MEAN_WEIGHT = 1.0 / np.arange(1, STILL_FRAMES + 2, dtype=np.float32)  # a new frame's weight after a run of n


def _box_mean(values: np.ndarray, radius: int) -> np.ndarray:
    side = 2 * radius + 1
    return cv2.boxFilter(values, -1, (side, side), normalize=True, borderType=cv2.BORDER_REPLICATE)


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _counted(run: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Frames in a row still (uint8, up to STILL_FRAMES) after one more frame, where it is `still`."""
    counted = np.minimum(run, STILL_FRAMES - 1)
    counted += 1
    counted *= still
    return counted


def _unit(image: np.ndarray) -> np.ndarray:
    """`image` (uint8 or uint16) in [0, 1] as float32."""
    unit = image.astype(np.float32)
    unit *= 1 / (65535.0 if image.dtype == np.uint16 else 255.0)
    return unit


def _eight_bit(image: np.ndarray) -> np.ndarray:
    """`image` (uint8 or uint16) as uint8: the search's thresholds are far coarser than 8 bits."""
    return image if image.dtype == np.uint8 else (image >> 8).astype(np.uint8)


def _still_range_of_grey(image: np.ndarray, still: np.ndarray) -> np.ndarray:
    """The range of grey among the `still` pixels of each 5x5 box of `image` (uint8 RGB), in [0, 1] (float32).

    Grey is the channels' sum, in uint16 so that the box's max and min are integer morphology."""
    channel_sum = image[..., 0].astype(np.uint16)
    channel_sum += image[..., 1]
    channel_sum += image[..., 2]
    square = np.ones((5, 5), np.uint8)
    highest = cv2.dilate(channel_sum * still, square)  # pixels not still count as 0 ...
    lowest = cv2.erode(channel_sum | (np.uint16(65535) * ~still), square)  # ... and as 65535 here
    return cv2.subtract(highest, lowest).astype(np.float32) / (3 * 255.0)  # none still in the box: saturates to 0


def _largest_change(image: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The largest channel difference between `image` and `other` (one dtype: uint8, uint16 or float32 in [0, 1])
    per pixel, in [0, 1] as float32."""
    difference = cv2.absdiff(image, other)
    change = np.maximum(np.maximum(difference[..., 0], difference[..., 1]), difference[..., 2])  # 25x max(axis=2)
    return change if change.dtype == np.float32 else _unit(change)


def _bounding_box(mask: np.ndarray, margin: int = 0) -> tuple[slice, slice] | None:
    """The rows and columns that hold `mask`'s pixels (bool [H,W]), `margin` more on each side; None if it has none."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None
    return (
        slice(max(0, rows[0] - margin), rows[-1] + 1 + margin),
        slice(max(0, columns[0] - margin), columns[-1] + 1 + margin),
    )


def _scene_moves_around(parts: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The connected parts of `parts` (bool) whose ring (`RING`: the pixels that far from it and nearer it than any
    other part) has more than `RING_MOVING` of `moved` pixels. All parts at once: noisy footage makes thousands."""
    inner, outer = RING
    box = _bounding_box(parts, outer + 1)  # the parts and their rings: a caption is a small share of the frame
    assert box is not None
    inside = parts[box]
    distance, labels = cv2.distanceTransformWithLabels(
        (~inside).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_CCOMP
    )
    ring = (distance > inner) & (distance <= outer)
    count = int(labels.max()) + 1
    around = np.bincount(labels[ring], minlength=count)
    changed = np.bincount(labels[ring & moved[box]], minlength=count)
    keep = changed > RING_MOVING * np.maximum(around, 1)
    kept = np.zeros_like(parts)
    kept[box] = inside & keep[labels]
    return kept


class OverlayTracker:
    """Follows source frames in order (RGB, uint8 or uint16, one size) and finds the still overlays in each."""

    def __init__(self) -> None:
        self._previous_full: np.ndarray | None = None  # the frame before, at its own size
        self._previous: np.ndarray | None = None  # the frame before, as searched
        self._reference: np.ndarray | None = None  # each pixel's mean (0-1) over its box's still run (EMA after 8)
        self._box_run: np.ndarray | None = None  # frames in a row each 3x3 box stayed still, up to STILL_FRAMES
        self._quiet_run: np.ndarray | None = None  # frames in a row each 3x3 box stayed quiet, up to STILL_FRAMES
        self._pixel_run: np.ndarray | None = None  # frames in a row each pixel stayed within STILL_PIXEL, up to 8

    def add(self, image: np.ndarray) -> np.ndarray | None:
        """The overlay in `image`, the next source frame (bool [H,W]), or None where there is none.

        It looks only at `image` and the frames before it, so a causal run may use it."""
        previous, self._previous_full = self._previous_full, image
        height, width = image.shape[:2]
        scale = ANALYSIS_SIDE / min(height, width)
        if scale >= 1:
            return self._search(image)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        found = self._search(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        if found is None or previous is None or previous.shape != image.shape:
            return None
        scaled = cv2.resize(found.view(np.uint8) * np.uint8(255), (width, height), interpolation=cv2.INTER_LINEAR)
        mask = shown_too(image, previous, scaled > 64)  # grown at the searched size, it reaches into the scene
        return mask if mask.any() else None

    def _search(self, image: np.ndarray) -> np.ndarray | None:
        """The overlay in `image` at the size searched."""
        image = _eight_bit(image)
        unit = _unit(image)
        previous, self._previous = self._previous, image
        if previous is None or self._reference is None or self._reference.shape != unit.shape:
            self._reference = unit
            self._box_run = self._quiet_run = self._pixel_run = np.zeros(image.shape[:2], np.uint8)
            return None
        assert self._box_run is not None and self._quiet_run is not None and self._pixel_run is not None
        change = _largest_change(unit, self._reference)  # from the run's mean: a slow drift adds up
        self._box_run = _counted(self._box_run, _box_mean(change, 1) < STILL_BOX)
        step = _box_mean(_largest_change(image, previous), 1)  # from the frame before
        self._quiet_run = _counted(self._quiet_run, step < QUIET_BOX)
        self._pixel_run = _counted(self._pixel_run, change < STILL_PIXEL)
        weight = _RUN_MEAN_WEIGHT[self._box_run]  # 1 where the box moved: its run starts again
        unit -= self._reference
        unit *= weight[..., None]
        self._reference += unit
        still = self._box_run >= STILL_FRAMES
        if not still.any():
            return None
        detail = _still_range_of_grey(image, still) > DETAIL  # among still pixels: the detail is the overlay's own
        quiet = self._quiet_run >= STILL_FRAMES
        island = _box_mean(quiet.astype(np.float32), ISLAND_RADIUS) < MOST_STILL_AROUND
        core = still & detail & island
        if not core.any():
            return None
        grown = (cv2.dilate(core.astype(np.uint8), _disk(GROW)) > 0) & (self._pixel_run >= STILL_FRAMES)
        if not grown.any():  # a still 3x3 box may hold a pixel that flickers: a core of such pixels alone
            return None
        overlay = _scene_moves_around(grown, ~quiet)
        return overlay if overlay.any() else None


def shown_too(image: np.ndarray, other: np.ndarray, overlay: np.ndarray) -> np.ndarray:
    """The pixels of `other`'s `overlay` that `image` shows as well (no channel more than `STILL_PIXEL` apart): the
    same overlay, not (or no longer) found in `image` itself. Compared within the overlay's bounding box only."""
    shown = np.zeros_like(overlay)
    box = _bounding_box(overlay)
    if box is not None:
        shown[box] = overlay[box] & (_largest_change(image[box], other[box]) < STILL_PIXEL)
    return shown


def fill_in(image: np.ndarray, overlay: np.ndarray) -> np.ndarray:
    """`image` (RGB, uint8 or uint16) with the `overlay` pixels filled in from around them (a new array)."""
    mask = overlay.astype(np.uint8)
    if image.dtype == np.uint8:
        return cv2.inpaint(np.ascontiguousarray(image), mask, 3, cv2.INPAINT_TELEA)
    channels = [cv2.inpaint(np.ascontiguousarray(image[..., c]), mask, 3, cv2.INPAINT_TELEA) for c in range(3)]
    return np.stack(channels, axis=-1)


def take_back(frame: np.ndarray, source: np.ndarray, overlay: np.ndarray) -> np.ndarray:
    """`frame` with the `overlay` pixels taken from `source` (a new array)."""
    return np.where(overlay[..., None], source, frame)
