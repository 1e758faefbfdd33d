"""Local correlation (cost volume) between two feature maps."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def local_correlation(a: Tensor, b: Tensor, radius: int) -> Tensor:
    """Cosine correlation of a with b shifted by every offset within radius.

    a, b [B,C,H,W] -> [B,(2r+1)^2,H,W].
    """
    # Both channels-last and contiguous, so each dot product runs along contiguous memory
    # (mixed layouts made this 3x slower inside the network); multiply and sum, not vecdot,
    # which autocast would run in bf16.
    a = F.normalize(a.float(), dim=1).permute(0, 2, 3, 1).contiguous()
    padded = F.pad(F.normalize(b.float(), dim=1), (radius,) * 4).permute(0, 2, 3, 1).contiguous()
    h, w = a.shape[1:3]
    costs = [
        (a * padded[:, dy : dy + h, dx : dx + w]).sum(dim=-1)
        for dy in range(2 * radius + 1)
        for dx in range(2 * radius + 1)
    ]
    return torch.stack(costs, dim=1)
