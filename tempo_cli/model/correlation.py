"""Local correlation (cost volume) between two feature maps."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

# Columns per matrix product. Each block of a row is multiplied with the block widened by the radius on both sides,
# all offsets at once, and the band of wanted offsets is kept: (32 + 2r) / (2r + 1) times the work of the dot
# products alone, but as matrix products it ran 2-5x faster than one multiply-and-sum per offset on the CPU.
_BLOCK = 32


def local_correlation(a: Tensor, b: Tensor, radius: int) -> Tensor:
    """Cosine correlation of a with b shifted by every offset within radius, in fp32 (also under autocast).

    a, b [B,C,H,W] -> [B,(2r+1)^2,H,W]; channel dy * (2r+1) + dx holds the offset (dy - r, dx - r).
    """
    with torch.autocast(a.device.type, enabled=False):
        a = F.normalize(a.float(), dim=1)
        b = F.normalize(b.float(), dim=1)
        batch, channels, h, w = a.shape
        size = 2 * radius + 1
        blocks = -(-w // _BLOCK)
        width = blocks * _BLOCK
        # a as [B,H,blocks,block,C]; b padded by the radius (and to whole blocks) as [B,C,H+2r,width+2r].
        rows = F.pad(a, (0, width - w)).permute(0, 2, 3, 1).reshape(batch, h, blocks, _BLOCK, channels)
        padded = F.pad(b, (radius, radius + width - w, radius, radius))
        band = (torch.arange(_BLOCK, device=a.device)[:, None] + torch.arange(size, device=a.device)).expand(
            batch, h, blocks, _BLOCK, size
        )
        costs = []
        for dy in range(size):
            windows = padded[:, :, dy : dy + h].unfold(3, _BLOCK + 2 * radius, _BLOCK)  # [B,C,H,blocks,block+2r]
            products = torch.matmul(rows, windows.permute(0, 2, 3, 1, 4))  # [B,H,blocks,block,block+2r]
            costs.append(torch.gather(products, 4, band))
        volume = torch.stack(costs, dim=4).reshape(batch, h, width, size * size)[:, :, :w]
        return volume.permute(0, 3, 1, 2).contiguous()
