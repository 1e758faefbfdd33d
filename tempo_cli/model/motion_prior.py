"""Classical motion prior: DIS flow between a pair of anchors as candidate velocity fields."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from tempo_cli.model.reduce import vector_length
from tempo_cli.model.warp import sample_at
from tempo_cli.motion import dis_flows, pair_velocity, to_gray_u8

MAX_CANDIDATES = 4
# On which anchor's pixel grid each candidate's vectors sit (0: the first, 1: the second): F01 (of
# either preset) on the first's, -F10 on the second's. The symmetric velocity (None) is already an
# estimate at the target's pixels (the Super-SloMo approximation); moving it too scored lower on
# the held-out clips.
CANDIDATE_GRID_TIMES = (None, 0.0, 1.0, 0.0)


def tensor_to_gray_u8(image: Tensor) -> np.ndarray:
    """A [3,H,W] image in [0,1] as OpenCV's 8-bit grayscale (quantised in torch, converted by OpenCV)."""
    rgb = (image.float() * 255 + 0.5).clamp_(0, 255).to(torch.uint8)
    return to_gray_u8(rgb.permute(1, 2, 0).contiguous().cpu().numpy())


@torch.no_grad()
def dis_velocity(first: Tensor, second: Tensor, candidates: int, preset: str) -> Tensor:
    """Velocity candidates per anchor interval [B,C,2,H,W], each on its own pixel grid.

    first, second [B,3,H,W] in [0,1]. From DIS at `preset` (a key of `tempo_cli.motion.dis.PRESETS`):
    candidate 0 is the symmetric velocity (`pair_velocity`), then each one-way flow alone, F01 and
    -F10 (where they differ, at motion boundaries and occlusions, one of them is often right);
    then F01 of DIS at its coarser FAST preset (it keeps some large motions that the finer
    presets refine away). The first `candidates` are kept. The one-way flows lie on their
    anchors' grids (`CANDIDATE_GRID_TIMES`); `to_target_grid` moves them to a target's. All
    flows of all pairs are computed side by side (`dis_flows`).
    """
    grays = [(tensor_to_gray_u8(a), tensor_to_gray_u8(b)) for a, b in zip(first, second, strict=True)]
    jobs = [(ga, gb, preset) for ga, gb in grays] + [(gb, ga, preset) for ga, gb in grays]
    if candidates == MAX_CANDIDATES:
        jobs += [(ga, gb, "fast") for ga, gb in grays]
    flows = torch.stack([torch.from_numpy(f) for f in dis_flows(jobs)]).permute(0, 3, 1, 2)
    forward, backward, *coarse = flows.split(len(grays))
    kinds = [pair_velocity(forward, backward), forward, -backward, *coarse][:candidates]
    return torch.stack(kinds, dim=1).to(first.device)


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


# How far apart (px) a pair's two one-way flows may lie before its acceleration estimate counts for 1/e of itself.
ACCEL_TRUST_PX = 3.0


def pair_accelerations(candidates: Tensor, times: Tensor) -> Tensor:
    """Acceleration of each consecutive anchor pair, in pixels per its own interval squared: [B,P,2,H,W].

    candidates [B,P,C,2,H,W] are each pair's prior candidates (`dis_velocity`); times [B,N] are sorted, P = N - 1 >= 2.
    The symmetric candidate is the pair's displacement over its interval (its mean velocity, which under constant
    acceleration is the velocity at the pair's midpoint). Pair p's estimate is the change from the velocity of pair
    p - 1 (pair 0: from pair 0 to pair 1), the earlier field read where the content was at its midpoint (one step back
    along the later velocity), divided by the time between the midpoints. Where the one-way flows F01 and -F10 of the
    two pairs disagree (occlusion, aliasing, flow that varies over the distance moved), the estimate is noise and
    is shrunk by exp(-disagreement / ACCEL_TRUST_PX); with fewer than 3 candidates it is kept whole.
    """
    spans = (times[:, 1:] - times[:, :-1]).clamp_min(1e-6)
    per_time = candidates[:, :, 0].float() / spans[..., None, None, None]
    gaps = ((spans[:, 1:] + spans[:, :-1]) / 2)[..., None, None, None]
    later, earlier = per_time[:, 1:], per_time[:, :-1]
    back = (-gaps * later).flatten(0, 1)[:, None]
    aligned = sample_at(earlier.flatten(0, 1), back)[:, 0].view_as(earlier)
    accel = (later - aligned) / gaps
    per_pair = torch.cat([accel[:, :1], accel], dim=1) * (spans**2)[..., None, None, None]
    if candidates.shape[2] < 3:
        return per_pair
    apart = vector_length((candidates[:, :, 1] - candidates[:, :, 2]).float(), 2)
    both = apart[:, :-1] + apart[:, 1:]
    return per_pair * torch.exp(-torch.cat([both[:, :1], both], dim=1) / ACCEL_TRUST_PX)


# The noise of an acceleration estimate averaged down to the 1/8 grid, in pixels of the frames the network works
# on (`Encoded.images`) per interval squared.
ACCEL_NOISE_PX = 0.25


def shrink_noise(field: Tensor, noise: float) -> Tensor:
    """Vectors [..., 2, h, w] scaled by |V|^2 / (|V|^2 + noise^2) per pixel (Wiener shrinkage), `noise` in the
    field's own pixels.

    Used on accelerations (on steady motion their estimate is DIS noise and bends paths that are straight) and on
    the DIS velocities themselves (between nearly equal frames DIS finds a fraction of a pixel of noise); a real
    motion of a few pixels keeps nearly all of itself.
    """
    if noise <= 0:
        return field
    power = field.float().square().sum(dim=-3, keepdim=True)
    return field * (power / (power + noise * noise)).to(field.dtype)


def bend(dt: Tensor, tau: Tensor) -> Tensor:
    """How much of a pair's acceleration adds to each anchor's offset from a target: [B,N].

    dt [B,N]: (anchor time - target time) / interval; tau [B]: the target's place in the interval. On a path of
    constant acceleration A whose mean velocity over the interval is v, the content at the target was
    v * dt + A * (dt * (tau - 1/2) + dt^2 / 2) away at each anchor's time.
    """
    return dt * (tau[:, None] - 0.5) + 0.5 * dt * dt
