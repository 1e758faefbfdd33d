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

from tempo_cli.model.warp import backward_warp
from tempo_cli.motion import dis_flows, to_gray_u8

TEACHER_PRESET = "medium"
# Where an anchor moved by the teacher's flow lies this far from the truth (mean absolute difference, 0-1, over
# a TRUST_WINDOW box), the teacher counts for 1/e: its flow is wrong there, or the content is hidden in that anchor.
TRUST_SCALE = 0.02
TRUST_WINDOW = 5


def teacher_flows(anchors: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Flow from each target to each of its anchors and how far to trust it: ([B,N,2,H,W], [B,N,H,W]).

    anchors [B,N,3,H,W] and target [B,3,H,W] in [0,1]; target(x) ~ anchor(x + flow(x)).
    """
    b, n = anchors.shape[:2]
    truths = [to_gray_u8(t.permute(1, 2, 0).numpy()) for t in target]
    jobs = [
        (truths[i], to_gray_u8(anchors[i, k].permute(1, 2, 0).numpy()), TEACHER_PRESET)
        for i in range(b)
        for k in range(n)
    ]
    flows = torch.from_numpy(np.stack(dis_flows(jobs))).permute(0, 3, 1, 2)
    moved = backward_warp(anchors.flatten(0, 1), flows)
    error = (moved - target.repeat_interleave(n, dim=0)).abs().mean(dim=1, keepdim=True)
    error = F.avg_pool2d(error, TRUST_WINDOW, 1, TRUST_WINDOW // 2, count_include_pad=False)
    trust = torch.exp(-error / TRUST_SCALE)
    return flows.view(b, n, 2, *flows.shape[-2:]), trust.view(b, n, *trust.shape[-2:])
