"""Full-resolution fusion: an RGB residual over the blend of the warped anchors.

The pyramid attention decides motion and weights from features at 1/8 to 1/2;
this stage looks at the blend itself and at how far the anchors spread around
it (RIFE's refinement idea) and predicts what no warped anchor shows. The head
starts at zero, so an untrained fusion leaves the blend unchanged.

The anchors' weights come from the attention and the agreement term alone; why an
earlier per-anchor re-weighting here was removed is in docs/model.md ("fusion").
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from tempo_cli.model.blocks import ConvStack, cat_channels, conv3x3, zero_init

SHUFFLE = 2


def _half(x: Tensor) -> Tensor:
    """[B,C,H,W] at full resolution -> [B,4C,H/2,W/2] without losing a pixel."""
    return F.pixel_unshuffle(x, SHUFFLE)


class Fusion(nn.Module):
    """Predicts the RGB residual, working at half resolution with the decoder state."""

    def __init__(self, state_ch: int, width: int, time_dim: int) -> None:
        super().__init__()
        image_ch = 2 * 3 * SHUFFLE * SHUFFLE
        self.residual_stack = ConvStack(image_ch + state_ch, width, time_dim)
        self.residual_head = conv3x3(width, 3 * SHUFFLE * SHUFFLE)
        zero_init(self.residual_head)

    def residual(self, blend: Tensor, spread: Tensor, state: Tensor, target_emb: Tensor) -> Tensor:
        """RGB residual [B,3,H,W] from the blend, the anchors' spread around it and the decoder state.

        state [B,S,H/2,W/2] is the decoder state; target_emb [B,D] the target's time embedding.
        """
        images = [_half(blend).to(state.dtype), _half(spread).to(state.dtype)]
        hidden = self.residual_stack(cat_channels([*images, state], like=state), target_emb)
        # Plain (NCHW) layout: upsampling three channels to full size is twice as fast in it.
        return F.pixel_shuffle(self.residual_head(hidden), SHUFFLE).float().contiguous()
