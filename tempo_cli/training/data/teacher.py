"""Privileged motion for distillation: optical flow measured from each sample's true frame to its anchors.

RIFE trains its flow against a teacher that sees the frame to be made; here the teacher is OpenCV DIS run
from the target to every anchor. No predictor has this motion at inference (it needs the target), which is
what makes it a training signal beyond the photometric loss: it says where each anchor's content lies even
where the prediction is too far off for the image gradient to point there.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from tempo_cli.model.warp import sample_at
from tempo_cli.motion import dis_flows, to_gray_u8

TEACHER_PRESET = "medium"
# The box (pixels) over which how well a motion explains the truth is averaged: one pixel's colour match says little.
ERROR_WINDOW = 5


def warp_error(moved: Tensor, target: Tensor) -> Tensor:
    """How far each anchor moved by each motion lies from the truth: [B,N,M,H,W], mean absolute (0-1) per box.

    moved [B,N,M,3,H,W]: each anchor sampled where each motion points (as the network's aux["samples"]);
    target [B,3,H,W]; averaged over colour and an ERROR_WINDOW box.
    """
    error = (moved.float() - target[:, None, None].float()).abs().mean(dim=3)
    pooled = F.avg_pool2d(error.flatten(0, 2)[:, None], ERROR_WINDOW, 1, ERROR_WINDOW // 2, count_include_pad=False)
    return pooled.view_as(error)


def teacher_flows(anchors: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Flow from each target to each of its anchors and how well it explains the truth ([B,N,2,H,W], [B,N,H,W]).

    anchors [B,N,3,H,W] and target [B,3,H,W] in [0,1]; target(x) ~ anchor(x + flow(x)); the second is `warp_error`.
    """
    b, n = anchors.shape[:2]
    truths = [to_gray_u8(t.permute(1, 2, 0).numpy()) for t in target]
    jobs = [
        (truths[i], to_gray_u8(anchors[i, k].permute(1, 2, 0).numpy()), TEACHER_PRESET)
        for i in range(b)
        for k in range(n)
    ]
    flows = torch.from_numpy(np.stack(dis_flows(jobs))).permute(0, 3, 1, 2)
    moved = sample_at(anchors.flatten(0, 1).float(), flows[:, None]).view(b, n, 1, *anchors.shape[2:])
    return flows.view(b, n, 2, *flows.shape[-2:]), warp_error(moved, target)[:, :, 0]
