"""Sums over a few short dimensions of large tensors, and maxima over small windows."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def sum_over(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    """x summed over `dims` (each short: anchors, hypotheses, colours), which are dropped.

    Adds the slices one by one. On CPU a reduction across such strided dims runs a generic
    kernel; adding whole slices is several times faster (7x for the deformable aggregation).
    """
    for dim in sorted((d % x.dim() for d in dims), reverse=True):
        parts = x.unbind(dim)
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        x = total
    return x


def vector_length(x: Tensor, dim: int) -> Tensor:
    """The length of the 2-vectors along `dim` of x, kept as a dimension of size 1.

    `norm(dim=...)` over such a short strided dim runs a generic kernel: on CPU, a [1,2,432,768] field took 83 ms
    against 0.2 for `hypot`.
    """
    first, second = x.unbind(dim)
    return torch.hypot(first, second).unsqueeze(dim)


def window_max(x: Tensor, radius: int) -> Tensor:
    """The maximum over the (2 radius + 1)^2 window around each pixel of x [B,C,H,W], inside the frame.

    Shifted slices of the edge-padded map, a row pass and a column pass: what `max_pool2d` with stride 1 gives,
    over 20x faster on CPU (a 640x360 map, radius 2: 1.1 against 25 ms).
    """
    for dim in (-1, -2):
        n = x.shape[dim]
        pad = (radius, radius, 0, 0) if dim == -1 else (0, 0, radius, radius)
        padded = F.pad(x, pad, mode="replicate")
        out = padded.narrow(dim, 0, n)
        for shift in range(1, 2 * radius + 1):
            out = torch.maximum(out, padded.narrow(dim, shift, n))
        x = out
    return x
