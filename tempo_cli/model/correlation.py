"""Local correlation (cost volume) between two feature maps."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def local_correlation(a: Tensor, b: Tensor, radius: int) -> Tensor:
    """Cosine correlation of a with b shifted by every offset within radius.

    a, b [B,C,H,W] -> [B,(2r+1)^2,H,W].
    """
    a = F.normalize(a.float(), dim=1)
    b = F.normalize(b.float(), dim=1)
    h, w = a.shape[-2:]
    padded = F.pad(b, (radius, radius, radius, radius))
    costs = [
        (a * padded[:, :, dy : dy + h, dx : dx + w]).sum(dim=1, keepdim=True)
        for dy in range(2 * radius + 1)
        for dx in range(2 * radius + 1)
    ]
    return torch.cat(costs, dim=1)
