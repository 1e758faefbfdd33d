"""Full-resolution fusion: occlusion-aware re-weighting of the warped anchors and an RGB residual.

The pyramid attention decides motion and weights from features at 1/8 to 1/4;
this stage looks at the warped anchor images themselves (RIFE's refinement idea):
where an anchor disagrees with the blend (it is occluded, or its motion is
wrong) its weight can drop, and the residual can repair what no anchor shows.
Both heads start at zero, so an untrained fusion leaves the blend unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tempo_cli.model.blocks import ConvStack, conv3x3

SHUFFLE = 2


def _half(x: Tensor) -> Tensor:
    """[B,C,H,W] at full resolution -> [B,4C,H/2,W/2] without losing a pixel."""
    return F.pixel_unshuffle(x, SHUFFLE)


class Fusion(nn.Module):
    """Re-weights anchors per pixel and predicts the RGB residual, working at half resolution."""

    def __init__(self, state_ch: int, width: int, time_dim: int) -> None:
        super().__init__()
        image_ch = 2 * 3 * SHUFFLE * SHUFFLE
        self.mask_stack = ConvStack(image_ch + state_ch, width, time_dim)
        self.mask_head = conv3x3(width, SHUFFLE * SHUFFLE)
        self.residual_stack = ConvStack(image_ch + state_ch, width, time_dim)
        self.residual_head = conv3x3(width, 3 * SHUFFLE * SHUFFLE)
        for head in (self.mask_head, self.residual_head):
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)

    def anchor_logits(self, warped: Tensor, blend: Tensor, state: Tensor, anchor_emb: Tensor) -> Tensor:
        """Per-anchor logit change [B,N,H,W] from warped anchors [B,N,3,H,W] and the blend [B,3,H,W].

        state [B,S,H/2,W/2] is the decoder state; anchor_emb [B,N,D] each anchor's time embedding.
        """
        b, n = warped.shape[:2]
        diff = (warped - blend[:, None]).abs()
        x = torch.cat([_half(warped.flatten(0, 1)), _half(diff.flatten(0, 1))], dim=1)
        ctx = state[:, None].expand(-1, n, -1, -1, -1).flatten(0, 1)
        hidden = self.mask_stack(torch.cat([x.to(ctx.dtype), ctx], dim=1), anchor_emb.flatten(0, 1))
        delta = F.pixel_shuffle(self.mask_head(hidden), SHUFFLE).float()
        return delta.view(b, n, *delta.shape[-2:])

    def residual(self, blend: Tensor, spread: Tensor, state: Tensor, target_emb: Tensor) -> Tensor:
        """RGB residual [B,3,H,W] from the blend, the anchors' spread around it and the decoder state."""
        x = torch.cat([_half(blend), _half(spread)], dim=1).to(state.dtype)
        hidden = self.residual_stack(torch.cat([x, state], dim=1), target_emb)
        return F.pixel_shuffle(self.residual_head(hidden), SHUFFLE).float()
