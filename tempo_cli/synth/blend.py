"""Linear cross-fade between the two anchors around each target (nearest frame outside them)."""

from __future__ import annotations

from torch import Tensor

from tempo_cli.synth.base import PairSynthesizer


class BlendSynthesizer(PairSynthesizer):
    """The cheapest reference: no motion at all."""

    name = "blend"

    def pair(self, first: object, second: object, tau: float) -> Tensor:
        assert isinstance(first, Tensor) and isinstance(second, Tensor)
        tau = min(max(tau, 0.0), 1.0)
        return first * (1 - tau) + second * tau
