"""Scene-cut score between consecutive anchors from pooled coarse features and thumbnails."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class CutDetector(nn.Module):
    """cut_score = sigmoid(a * feature dissimilarity + b * thumbnail distance + c).

    The thumbnail term makes it sensible before training (unrelated images
    differ at 16x16); the learned weights and the feature term are trained on
    synthetic cuts.
    """

    def __init__(self) -> None:
        super().__init__()
        self.w_feat = nn.Parameter(torch.tensor(0.0))
        self.w_thumb = nn.Parameter(torch.tensor(30.0))
        self.bias = nn.Parameter(torch.tensor(-6.0))

    @staticmethod
    def thumbnails(images: Tensor) -> Tensor:
        """[B,N,3,H,W] -> [B,N,3*16*16] 16x16 area-averaged thumbnails."""
        b, n = images.shape[:2]
        return F.adaptive_avg_pool2d(images.flatten(0, 1).float(), 16).reshape(b, n, -1)

    def forward(self, coarse: Tensor, images: Tensor, aligned: Tensor | None = None) -> Tensor:
        """coarse [B,N,C,h,w] (time-sorted), images [B,N,3,H,W] -> cut logit [B], the max over consecutive pairs.

        `aligned` [B,N-1,3,H,W] is each pair's later anchor moved onto the earlier one by their motion, if known:
        its thumbnail then differs from the earlier one's where the motion does not explain the change (a cut),
        not where the picture moves (a fast pan had been taken for a cut).
        """
        flat = coarse.float()
        # The population std: a frame small enough for a 1x1 coarse map has no sample std (it would be NaN).
        pooled = torch.cat([flat.mean(dim=(-2, -1)), flat.std(dim=(-2, -1), correction=0)], dim=-1)
        feat_dis = 1 - F.cosine_similarity(pooled[:, 1:], pooled[:, :-1], dim=-1)
        earlier = self.thumbnails(images[:, :-1])
        later = self.thumbnails(images[:, 1:] if aligned is None else aligned)
        thumb_dis = (later - earlier).abs().mean(dim=-1)
        logits = self.w_feat * feat_dis + self.w_thumb * thumb_dis + self.bias
        return logits.amax(dim=1)
