"""Sinusoidal encoding of normalised time offsets, with a learned projection."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class TimeEncoding(nn.Module):
    """Maps a normalised offset dt (any shape) to an embedding (..., dim).

    Frequencies pi * 2^(k-4) for k in [0, bands) cover offsets from a
    fraction of a frame interval to several intervals (extrapolation).
    """

    freqs: Tensor

    def __init__(self, bands: int, dim: int) -> None:
        super().__init__()
        freqs = math.pi * torch.pow(2.0, torch.arange(bands, dtype=torch.float32) - 4)
        self.register_buffer("freqs", freqs, persistent=False)
        self.mlp = nn.Sequential(nn.Linear(2 * bands + 1, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, dt: Tensor) -> Tensor:
        dt = dt.float()
        angles = dt[..., None] * self.freqs
        feats = torch.cat([dt[..., None], torch.sin(angles), torch.cos(angles)], dim=-1)
        return self.mlp(feats)
