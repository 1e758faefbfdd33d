"""Classical optical-flow interpolation: DIS flow both ways, backward-warp both anchors, blend."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import Tensor

from tempo_cli.motion import dis_flow_pair, offsets_to_anchor, pair_velocity, to_gray_u8
from tempo_cli.synth.base import PairSynthesizer


@dataclass
class _FlowFrame:
    rgb: np.ndarray
    gray: np.ndarray


def _warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class FlowSynthesizer(PairSynthesizer):
    """OpenCV DIS: for targets outside the anchors, the nearest anchor moved along the flow."""

    name = "flow"

    def __init__(self) -> None:
        self._pair: tuple[_FlowFrame, _FlowFrame, np.ndarray] | None = None

    def prepare(self, frame: Tensor) -> _FlowFrame:
        rgb = np.ascontiguousarray(frame.permute(1, 2, 0).float().cpu().numpy())
        return _FlowFrame(rgb, to_gray_u8(rgb))

    def _velocity(self, a: _FlowFrame, b: _FlowFrame) -> np.ndarray:
        """DIS velocity of the pair, reused while the same prepared frames come back (holding them, not ids)."""
        cached = self._pair
        if cached is None or cached[0] is not a or cached[1] is not b:
            cached = (a, b, pair_velocity(*dis_flow_pair(a.gray, b.gray)))
            self._pair = cached
        return cached[2]

    def pair(self, first: object, second: object, tau: float) -> Tensor:
        assert isinstance(first, _FlowFrame) and isinstance(second, _FlowFrame)
        vel = self._velocity(first, second)
        if tau > 1.0:
            out = _warp(second.rgb, offsets_to_anchor(vel, 1.0, tau))
        elif tau < 0.0:
            out = _warp(first.rgb, offsets_to_anchor(vel, 0.0, tau))
        else:
            warped_a = _warp(first.rgb, offsets_to_anchor(vel, 0.0, tau))
            warped_b = _warp(second.rgb, offsets_to_anchor(vel, 1.0, tau))
            out = warped_a * (1 - tau) + warped_b * tau
        return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1))).clamp(0, 1)
