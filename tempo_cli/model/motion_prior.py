"""Classical motion prior: DIS flow between a pair of anchors as a velocity field."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from tempo_cli.motion import dis_flow_pair, pair_velocity, to_gray_u8


@torch.no_grad()
def dis_velocity(first: Tensor, second: Tensor) -> Tensor:
    """Velocity per anchor interval [B,2,H,W] at each pixel of the target grid.

    first, second [B,3,H,W] in [0,1]; see `tempo_cli.motion.pair_velocity`.
    """
    out = []
    for a, b in zip(first, second, strict=True):
        ga = to_gray_u8(a.float().permute(1, 2, 0).cpu().numpy())
        gb = to_gray_u8(b.float().permute(1, 2, 0).cpu().numpy())
        f01, f10 = dis_flow_pair(ga, gb)
        out.append(np.ascontiguousarray(pair_velocity(f01, f10).transpose(2, 0, 1)))
    return torch.from_numpy(np.stack(out)).to(first.device)
