"""Linear cross-fade between the two anchors around each target (nearest frame outside them)."""

from __future__ import annotations

import numpy as np

from tempo_cli.synth.base import PairSynthesizer, mix


class BlendSynthesizer(PairSynthesizer):
    """The cheapest reference: no motion at all."""

    name = "blend"
    follows_motion = False

    def pair(self, first: object, second: object, tau: float) -> np.ndarray:
        assert isinstance(first, np.ndarray) and isinstance(second, np.ndarray)
        return mix(first, second, min(max(tau, 0.0), 1.0))
