"""Splitting frames into overlapping tiles and merging them back with feathered seams."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from tempo_cli.errors import TempoError


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


def _ramp(length: int, lead: bool, trail: bool, overlap: int) -> Tensor:
    w = torch.ones(length)
    n = min(overlap, length // 2)
    if n > 0:
        ramp = (torch.arange(n, dtype=torch.float32) + 0.5) / n
        if lead:
            w[:n] = ramp
        if trail:
            w[length - n :] = ramp.flip(0)
    return w


def feather(tile: Tile, height: int, width: int, overlap: int) -> Tensor:
    """Weight map [h,w] of a tile: linear ramps over the overlaps with its neighbours, 1 elsewhere."""
    wy = _ramp(tile.y1 - tile.y0, tile.y0 > 0, tile.y1 < height, overlap)
    wx = _ramp(tile.x1 - tile.x0, tile.x0 > 0, tile.x1 < width, overlap)
    return wy[:, None] * wx[None, :]


class TileMerger:
    """Accumulates weighted tiles of a batch of frames [T,C,H,W]."""

    def __init__(self, shape: tuple[int, ...], overlap: int) -> None:
        self.acc = torch.zeros(shape)
        self.weight = torch.zeros(shape[-2:])
        self.overlap = overlap

    def add(self, tile: Tile, values: Tensor) -> None:
        h, w = self.acc.shape[-2:]
        wmap = feather(tile, h, w, self.overlap)
        self.acc[..., tile.y0 : tile.y1, tile.x0 : tile.x1] += values * wmap
        self.weight[tile.y0 : tile.y1, tile.x0 : tile.x1] += wmap

    def result(self) -> Tensor:
        return self.acc / self.weight.clamp_min(1e-8)
