"""Splitting frames into overlapping tiles and merging them back with feathered seams."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tempo_cli.errors import TempoError, is_whole

SMALLEST_TILE = 64  # pixels; smaller tiles are mostly overlap
DEFAULT_OVERLAP = 64  # pixels at least, up to half the tile (`EngineConfig.overlap`)
# The share of an overlap, at a tile's inner edge, whose pixels the merge leaves to the neighbour: content that moves
# in from beyond the edge is not in the tile, so frames made near it are wrong wherever the motion is large (a 720p
# pan of 48 px per frame in 512-px tiles: 38 dB in the seams, 66 dB without tiles, with a ramp over the whole overlap).
UNUSED_EDGE = 0.25


def check_tile(tile: object) -> None:
    """Raise TempoError unless `tile` is None (no tiling) or a whole number of pixels, at least SMALLEST_TILE."""
    if tile is not None and (not is_whole(tile) or tile < SMALLEST_TILE):
        raise TempoError(f"the tile size must be a whole number of pixels, at least {SMALLEST_TILE}, got {tile!r}")


def check_overlap(overlap: int | None, tile: object) -> None:
    """Raise TempoError for a tile overlap (None: the default) below 0 pixels, or given without a `tile` size."""
    if overlap is None:
        return
    if tile is None:
        raise TempoError("a tile overlap needs a tile size (or 'auto'): without tiles there is nothing to overlap")
    if overlap < 0:
        raise TempoError(f"the tile overlap must be 0 or more pixels, got {overlap}")


@dataclass(frozen=True)
class Tile:
    """A rectangle of the frame: rows y0:y1, columns x0:x1."""

    y0: int
    y1: int
    x0: int
    x1: int


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def split(height: int, width: int, tile: int, overlap: int) -> list[Tile]:
    """Tiles of at most `tile` px that cover the frame, neighbours overlapping by at least `overlap`."""
    if tile <= overlap:
        raise TempoError(f"tile size {tile} must exceed the overlap {overlap}")
    return [
        Tile(y, min(y + tile, height), x, min(x + tile, width))
        for y in _starts(height, tile, overlap)
        for x in _starts(width, tile, overlap)
    ]


def _ramp(length: int, lead: bool, trail: bool, overlap: int) -> np.ndarray:
    """Weights along one side of a tile: 0 over the outer UNUSED_EDGE of each overlap with a neighbour, then a linear
    ramp to 1 over the next half of it."""
    w = np.ones(length, np.float32)
    n = min(overlap, length // 2)
    if n > 0:
        unused = n * UNUSED_EDGE
        ramp = np.clip((np.arange(n, dtype=np.float32) + 0.5 - unused) / (n - 2 * unused), 0, 1)
        if lead:
            w[:n] = ramp
        if trail:
            w[length - n :] = ramp[::-1]
    return w


def feather(tile: Tile, height: int, width: int, overlap: int) -> np.ndarray:
    """Weight map [h,w] of a tile: ramps over the overlaps with its neighbours (`_ramp`), 1 elsewhere."""
    wy = _ramp(tile.y1 - tile.y0, tile.y0 > 0, tile.y1 < height, overlap)
    wx = _ramp(tile.x1 - tile.x0, tile.x0 > 0, tile.x1 < width, overlap)
    return wy[:, None] * wx[None, :]


class TileMerger:
    """Merges images of one size made tile by tile in one tiling (`split`) with feathered seams. Each tile's weights
    (`feather`) and their sum are computed once for all the images merged; each image accumulates in float32."""

    def __init__(self, height: int, width: int, tiles: list[Tile], overlap: int) -> None:
        self.weights = {tile: feather(tile, height, width, overlap) for tile in tiles}
        total = np.zeros((height, width), np.float32)
        for tile, weight in self.weights.items():
            total[tile.y0 : tile.y1, tile.x0 : tile.x1] += weight
        self.total = np.maximum(total, 1e-8)

    def start(self, channels: int | None = None) -> np.ndarray:
        """An empty accumulator of an (H,W) image, or of an (H,W,C) one with `channels`."""
        shape = self.total.shape if channels is None else (*self.total.shape, channels)
        return np.zeros(shape, np.float32)

    def add(self, acc: np.ndarray, tile: Tile, values: np.ndarray) -> None:
        """Add the tile's `values` (its part of the image `acc` accumulates), weighted."""
        weight = self.weights[tile]
        acc[tile.y0 : tile.y1, tile.x0 : tile.x1] += values * (weight[..., None] if values.ndim == 3 else weight)

    def result(self, acc: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
        """The merged image, made in the place of the sums in `acc` (no frame-sized temporaries: at 8K each was
        400 MB); integer dtypes are rounded."""
        np.divide(acc, self.total[..., None] if acc.ndim == 3 else self.total, out=acc)
        if np.issubdtype(dtype, np.integer):
            np.rint(acc, out=acc)
            np.clip(acc, 0, np.iinfo(dtype).max, out=acc)
        return acc.astype(dtype, copy=False)
