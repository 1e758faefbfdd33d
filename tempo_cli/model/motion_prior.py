"""Classical motion prior: DIS flow between a pair of anchors as candidate velocity fields."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from tempo_cli.motion import dis_flow_pair, pair_velocity, to_gray_u8, velocity_candidates

MAX_CANDIDATES = 4


@torch.no_grad()
def dis_velocity(first: Tensor, second: Tensor, candidates: int = MAX_CANDIDATES) -> Tensor:
    """Velocity candidates per anchor interval [B,C,2,H,W] at each pixel of the target grid.

    first, second [B,3,H,W] in [0,1]; candidate 0 is the symmetric velocity, then the
    one-way flows (see `tempo_cli.motion.velocity_candidates`), then the symmetric velocity
    of DIS at its coarser FAST preset (it keeps some large motions that the finer MEDIUM
    preset refines away); the first `candidates` are kept.
    """
    out = []
    for a, b in zip(first, second, strict=True):
        ga = to_gray_u8(a.float().permute(1, 2, 0).cpu().numpy())
        gb = to_gray_u8(b.float().permute(1, 2, 0).cpu().numpy())
        cands = velocity_candidates(*dis_flow_pair(ga, gb))[:candidates]
        if candidates == MAX_CANDIDATES:
            cands = np.concatenate([cands, pair_velocity(*dis_flow_pair(ga, gb, "fast"))[None]])
        out.append(np.ascontiguousarray(cands.transpose(0, 3, 1, 2)))
    return torch.from_numpy(np.stack(out)).to(first.device)
