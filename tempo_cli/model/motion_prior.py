"""Classical motion prior: DIS flow between a pair of anchors as candidate velocity fields."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from tempo_cli.model.warp import sample_at
from tempo_cli.motion import dis_flow, dis_flow_pair, to_gray_u8, velocity_candidates

MAX_CANDIDATES = 4
# On which anchor's pixel grid each candidate's vectors sit (0: the first, 1: the second): F01 (of
# either preset) on the first's, -F10 on the second's. The symmetric velocity (None) is already an
# estimate at the target's pixels (the Super-SloMo approximation); moving it too scored lower on
# the held-out clips.
CANDIDATE_GRID_TIMES = (None, 0.0, 1.0, 0.0)


@torch.no_grad()
def dis_velocity(first: Tensor, second: Tensor, candidates: int = MAX_CANDIDATES) -> Tensor:
    """Velocity candidates per anchor interval [B,C,2,H,W], each on its own pixel grid.

    first, second [B,3,H,W] in [0,1]; candidate 0 is the symmetric velocity, then the
    one-way flows (see `tempo_cli.motion.velocity_candidates`), then F01 of DIS at its
    coarser FAST preset (it keeps some large motions that the finer MEDIUM preset refines
    away); the first `candidates` are kept. The one-way flows lie on their anchors' grids
    (`CANDIDATE_GRID_TIMES`); `to_target_grid` moves them to a target's.
    """
    out = []
    for a, b in zip(first, second, strict=True):
        ga = to_gray_u8(a.float().permute(1, 2, 0).cpu().numpy())
        gb = to_gray_u8(b.float().permute(1, 2, 0).cpu().numpy())
        cands = velocity_candidates(*dis_flow_pair(ga, gb))[:candidates]
        if candidates == MAX_CANDIDATES:
            cands = np.concatenate([cands, dis_flow(ga, gb, "fast")[None]])
        out.append(np.ascontiguousarray(cands.transpose(0, 3, 1, 2)))
    return torch.from_numpy(np.stack(out)).to(first.device)


def to_target_grid(candidates: Tensor, tau: Tensor) -> Tensor:
    """Candidate velocities [B,C,2,h,w] moved to the grid of a target at fraction `tau` [B] of the interval.

    A vector of F01 belongs to the pixel of the first anchor it starts from; at the target
    that pixel has moved by tau * v. One fixed-point step, v(x) = V(x - (tau - a) V(x)) for a
    candidate on the grid of anchor a, reads each target pixel's velocity where its content was
    (a second step oscillates at motion boundaries). Candidates without a grid stay as they are.
    """
    out = candidates.clone()
    for k, grid_time in enumerate(CANDIDATE_GRID_TIMES[: candidates.shape[1]]):
        if grid_time is None:
            continue
        field = candidates[:, k].float()
        shift = tau.view(-1, 1, 1, 1).float() - grid_time
        out[:, k] = sample_at(field, (-shift * field)[:, None])[:, 0].to(out.dtype)
    return out
