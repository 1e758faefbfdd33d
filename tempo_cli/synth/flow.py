"""Classical optical-flow interpolation: DIS flow both ways, backward-warp both anchors, blend."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from tempo_cli.motion import dis_flow_pair, offsets_to_anchor, pair_velocity, to_gray_u8
from tempo_cli.synth.base import PairSynthesizer, mix


@dataclass
class _FlowFrame:
    rgb: np.ndarray
    gray: np.ndarray


@lru_cache(maxsize=4)
def _pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs, ys


def _warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    xs, ys = _pixel_grid(*flow.shape[:2])
    return cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class FlowSynthesizer(PairSynthesizer):
    """OpenCV DIS: for targets outside the anchors, the nearest anchor moved along the flow."""

    name = "flow"

    def __init__(self) -> None:
        self._pair: tuple[_FlowFrame, _FlowFrame, np.ndarray] | None = None

    def prepare(self, image: np.ndarray, frame_size: tuple[int, int] | None = None) -> _FlowFrame:
        return _FlowFrame(image, to_gray_u8(image))

    def _velocity(self, a: _FlowFrame, b: _FlowFrame) -> np.ndarray:
        """DIS velocity of the pair, reused while the same prepared frames come back (holding them, not ids)."""
        cached = self._pair
        if cached is None or cached[0] is not a or cached[1] is not b:
            cached = (a, b, pair_velocity(*dis_flow_pair(a.gray, b.gray)))
            self._pair = cached
        return cached[2]

    def pair(self, first: object, second: object, tau: float) -> np.ndarray:
        assert isinstance(first, _FlowFrame) and isinstance(second, _FlowFrame)
        vel = self._velocity(first, second)
        if tau > 1.0:
            return _warp(second.rgb, offsets_to_anchor(vel, 1.0, tau))
        if tau < 0.0:
            return _warp(first.rgb, offsets_to_anchor(vel, 0.0, tau))
        warped_a = _warp(first.rgb, offsets_to_anchor(vel, 0.0, tau))
        warped_b = _warp(second.rgb, offsets_to_anchor(vel, 1.0, tau))
        return mix(warped_a, warped_b, tau)
