"""Time-aware pyramid (deformable) attention: per anchor, per head, K sampling points."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from tempo_cli.model.blocks import ConvStack, zero_init
from tempo_cli.model.reduce import sum_over
from tempo_cli.model.warp import backward_warp, sample_at

# Initial distance of the K points from their anchor's offset, in pixels of the level: enough to break
# their symmetry, small enough (0.08 px at full resolution from 1/4) not to blur the first prediction.
POINT_SPREAD = 0.02


def shown_offsets(offsets: Tensor, dt: Tensor | None) -> Tensor:
    """The offsets [B,N,2,h,w] as a level's stack sees them: as they are, or with `dt` [B,N] (anchor time minus
    target time, in intervals) each anchor's divided by max(|dt|, 1). Past the anchors an offset then reads as one
    interval's motion, the range the stack learned between anchors, not k times it; between anchors nothing
    changes."""
    if dt is None:
        return offsets
    return offsets / dt.abs().clamp_min(1.0)[..., None, None, None].to(offsets.dtype)


def _anchor_inputs(feats: Tensor, offsets: Tensor, state: Tensor | None, dt: Tensor | None) -> Tensor:
    """What a level's stack sees per anchor: [B*N, 2C+2(+S), h, w].

    Each anchor's features [B,N,C,h,w] warped by its offsets [B,N,2,h,w], the mean over anchors
    of those (what agrees), the offsets as `shown_offsets` gives them for `dt` and the decoder state [B,S,h,w] if any.
    """
    b, n, c, h, w = feats.shape
    warped = backward_warp(feats.flatten(0, 1), offsets.flatten(0, 1)).view(b, n, c, h, w)
    ctx = warped.mean(dim=1, keepdim=True).expand(-1, n, -1, -1, -1)
    parts = [warped, ctx, shown_offsets(offsets, dt).to(warped.dtype)]
    if state is not None:
        parts.append(state[:, None].expand(-1, n, -1, -1, -1).to(warped.dtype))
    return torch.cat(parts, dim=2).flatten(0, 1)


class AttentionLevel(nn.Module):
    """Predicts, for every anchor, a motion residual, K points per head and their logits.

    Input per anchor: its features warped by the current offsets, the mean
    over anchors of those (what agrees), the target-level decoder state and
    the offsets themselves (per interval past the anchors with `per_interval`, `shown_offsets`);
    FiLM-conditioned on the anchor's time offset.
    Logits get a time bias: a learned -alpha*|dt| plus a learned projection
    of the time embedding.
    """

    def __init__(
        self,
        feat_ch: int,
        state_ch: int,
        hidden: int,
        time_dim: int,
        heads: int,
        points: int,
        per_interval: bool = False,
    ) -> None:
        super().__init__()
        self.heads, self.points = heads, points
        self.per_interval = per_interval
        m = heads * points
        self.stack = ConvStack(2 * feat_ch + state_ch + 2, hidden, time_dim)
        self.head = nn.Conv2d(hidden, 2 + 2 * m + m, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        bias = torch.zeros(2 + 3 * m)
        angles = torch.arange(m, dtype=torch.float32) * (2 * math.pi / m)
        if m > 1:
            bias[2 : 2 + m] = POINT_SPREAD * torch.cos(angles)
            bias[2 + m : 2 + 2 * m] = POINT_SPREAD * torch.sin(angles)
        self.head.bias = nn.Parameter(bias)
        self.time_bias = nn.Linear(time_dim, m)
        zero_init(self.time_bias)
        self.alpha = nn.Parameter(torch.tensor(2.0))

    def forward(
        self, feats: Tensor, offsets: Tensor, state: Tensor | None, time_emb: Tensor, dt: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """feats [B,N,C,h,w], offsets [B,N,2,h,w], state [B,S,h,w] or None, time_emb [B,N,D], dt [B,N].

        Returns refined offsets [B,N,2,h,w], point positions [B,N,M,2,h,w]
        (absolute offsets) and logits [B,N,M,h,w] with M = heads*points.
        """
        b, n, _, h, w = feats.shape
        m = self.heads * self.points
        x = _anchor_inputs(feats, offsets, state, dt if self.per_interval else None)
        out = self.head(self.stack(x, time_emb.flatten(0, 1))).float().view(b, n, 2 + 3 * m, h, w)
        offsets = offsets.float() + out[:, :, :2]
        points = torch.stack([out[:, :, 2 : 2 + m], out[:, :, 2 + m : 2 + 2 * m]], dim=3)
        positions = offsets[:, :, None] + points
        bias = self.time_bias(time_emb.float()) - self.alpha * dt.abs()[..., None]
        logits = out[:, :, 2 + 2 * m :] + bias[..., None, None]
        return offsets, positions, logits


def attention_weights(logits: Tensor) -> Tensor:
    """Softmax over anchors and hypotheses: [B,N,M,h,w] -> same shape, summing to 1 per pixel."""
    b, n, m, h, w = logits.shape
    return torch.softmax(logits.reshape(b, n * m, h, w), dim=1).view(b, n, m, h, w)


def aggregate(values: Tensor, positions: Tensor, weights: Tensor, heads: int) -> Tensor:
    """Deformable attention: each head's channels averaged over anchors and points.

    values [B,N,C,h,w], positions [B,N,H*K,2,h,w], weights [B,N,H*K,h,w] -> [B,C,h,w].
    Each head samples only its own channel group.
    """
    b, n, c, h, w = values.shape
    points = positions.shape[2] // heads
    per_head = values.reshape(b * n * heads, c // heads, h, w)
    pos = positions.reshape(b * n * heads, points, 2, h, w)
    sampled = sample_at(per_head, pos).view(b, n, heads, points, c // heads, h, w)
    wts = weights.view(b, n, heads, points, h, w).to(sampled.dtype)
    num = sum_over(sampled * wts[:, :, :, :, None], (1, 3))
    den = sum_over(wts, (1, 3)).unsqueeze(2).clamp_min(1e-6)
    return (num / den).reshape(b, c, h, w)


class HypothesisRefinement(nn.Module):
    """Corrects every hypothesis's position and logit at a finer level than the attention's last.

    Each anchor's features are warped by the mean of its hypotheses' positions (weighted as the
    attention weighs them) and seen with the decoder state, FiLM-conditioned on the anchor's time
    offset. The head starts at zero, so an untrained refinement changes nothing. `per_interval` as for
    `AttentionLevel`.
    """

    def __init__(
        self, feat_ch: int, state_ch: int, hidden: int, time_dim: int, hypotheses: int, per_interval: bool = False
    ) -> None:
        super().__init__()
        self.per_interval = per_interval
        self.stack = ConvStack(2 * feat_ch + state_ch + 2, hidden, time_dim)
        self.head = nn.Conv2d(hidden, 3 * hypotheses, 3, padding=1)
        zero_init(self.head)

    def forward(
        self, feats: Tensor, positions: Tensor, logits: Tensor, state: Tensor, time_emb: Tensor, dt: Tensor
    ) -> tuple[Tensor, Tensor]:
        """feats [B,N,C,h,w], positions [B,N,M,2,h,w], logits [B,N,M,h,w], state [B,S,h,w], time_emb [B,N,D],
        dt [B,N].

        Returns what to add to the positions [B,N,M,2,h,w] and to the logits [B,N,M,h,w].
        """
        b, n, m, _, h, w = positions.shape
        within = torch.softmax(logits.float(), dim=2)
        flow = (within[:, :, :, None] * positions.float()).sum(dim=2)
        x = _anchor_inputs(feats, flow, state, dt if self.per_interval else None)
        out = self.head(self.stack(x, time_emb.flatten(0, 1))).float().view(b, n, 3 * m, h, w)
        moves = torch.stack([out[:, :, :m], out[:, :, m : 2 * m]], dim=3)
        return moves, out[:, :, 2 * m :]
