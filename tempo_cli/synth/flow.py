"""Classical optical-flow interpolation: DIS flow both ways, backward-warp both anchors, blend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tempo_cli.motion import dis_flow_pair, offsets_to_anchor, pair_velocity, to_gray_u8, warp_image
from tempo_cli.synth.base import PairSynthesizer, mix


@dataclass
class _FlowFrame:
    rgb: np.ndarray
    gray: np.ndarray


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
            return warp_image(second.rgb, offsets_to_anchor(vel, 1.0, tau))
        if tau < 0.0:
            return warp_image(first.rgb, offsets_to_anchor(vel, 0.0, tau))
        warped_a = warp_image(first.rgb, offsets_to_anchor(vel, 0.0, tau))
        warped_b = warp_image(second.rgb, offsets_to_anchor(vel, 1.0, tau))
        return mix(warped_a, warped_b, tau)
