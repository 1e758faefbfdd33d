"""Still overlays (captions, logos, timestamps) over a moving picture: kept still instead of carried along.

The motion the network follows is the scene's. Over a caption it carries the letters along with the background,
which smears them in every frame made between or after the anchors. Where the anchors show the same detailed
picture (still and textured) and the network's own hypotheses disagree clearly more, the frame takes the anchors'
picture as it is. A flat or smooth area is left to the network: there a still look tells nothing of the motion.
Only islands of still detail count, not a still background: over one, the pixels an object is about to move into
look still in every anchor, and keeping them cut off the object's front (one step ahead, up to 2.6 dB).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from tempo_cli.model.agreement import box_mean_along, disagreement
from tempo_cli.model.reduce import window_max

STILL = 0.02  # the most the anchors may differ from their mean (mean absolute, 0-1) in a 3x3 box: still
DETAIL = 0.3  # the least range of grey (0-1) in a 5x5 box: detail, such as lettering, not a flat or smooth area
MARGIN_RATIO = 4.0  # the hypotheses disagree by more than this many times the still picture...
MARGIN = 0.03  # ... plus this: the motion does not explain the still detail (a lane line moving along itself)
MOST_OUTSIDE = 0.05  # the most weight the hypotheses may put outside the frame (content entering it)
GROW = 2  # pixels the kept area grows into still neighbours: the inside of a letter's strokes
ISLAND_RADIUS = 24  # the box (49 px across) in which...
MOST_STILL_AROUND = 0.6  # ... at most this share of the pixels may be still: a caption, not a still background


@dataclass(frozen=True)
class StillPicture:
    """What the anchors alone tell `still_gate`, found once per anchor set: how far they lie from their mean in a 3x3
    box [B,1,h,w], where that is an island of still detail (bool [B,1,h,w]), and, where the frames are made larger
    than the network works, where the full-size anchors are still (bool [B,1,H,W])."""

    spread: Tensor
    islands: Tensor
    full_still: Tensor | None


def still_picture(images: Tensor, size: tuple[int, int], full: Tensor | None) -> StillPicture:
    """The `StillPicture` of anchors `images` [B,N,3,H,W] as the network works on them (a frame of `size` (h, w)),
    with `full` [B,N,3,H',W'] the full-size anchors, if any."""
    h, w = size
    anchors = images.float()[..., :h, :w]
    spread = disagreement(anchors[:, :, None], 3)
    grey = anchors.mean(dim=(1, 2))[:, None]
    detail = window_max(grey, 2) + window_max(-grey, 2) > DETAIL
    still = spread < STILL
    around = box_mean_along(box_mean_along(still.float(), -1, ISLAND_RADIUS), -2, ISLAND_RADIUS)
    full_still = None if full is None else disagreement(full.float()[:, :, None], 3) < STILL
    return StillPicture(spread, still & detail & (around < MOST_STILL_AROUND), full_still)


def still_gate(
    picture: StillPicture,
    hypothesis_disagreement: Tensor,
    weights: Tensor,
    outside: Tensor,
    window: int,
) -> Tensor:
    """Where the frame keeps the anchors' picture [B,1,h,w] (0 or 1) at the working size.

    `picture` is what the anchors alone tell (`still_picture`), `hypothesis_disagreement` [B,M,H,W] how far the
    anchors lie apart where each hypothesis points (`agreement.disagreement`), `weights` [B,N,M,h,w] the weight of
    each anchor's hypotheses and `outside` [B,1,h,w] the share of it outside the frame (`agreement.outside_share`);
    `window` is the box of `hypothesis_disagreement`, which reaches that far from samples outside the frame.
    """
    h, w = picture.spread.shape[-2:]
    spread_each = weights.sum(dim=1) * hypothesis_disagreement[..., :h, :w]
    model_spread = spread_each.sum(dim=1, keepdim=True).float()
    unexplained = model_spread > MARGIN_RATIO * picture.spread + MARGIN
    inside = window_max(outside, window // 2 + GROW) < MOST_OUTSIDE  # no box of it reaches content entering
    core = (picture.islands & unexplained & inside).float()
    grown = window_max(core, GROW) > 0
    return (grown & (picture.spread < STILL)).float()


def refine_to_full_size(gate: Tensor, full_still: Tensor) -> Tensor:
    """`gate` [B,1,h,w] of the working size at the full size of `full_still` [B,1,H,W] (`StillPicture.full_still`):
    wherever it reaches, upsampled, the full-size pixels that are still there (bilinear edges would mix the smear
    back into the letters)."""
    reaching = F.interpolate(gate, size=full_still.shape[-2:], mode="bilinear", align_corners=False) > 0
    return (reaching & full_still).float()
