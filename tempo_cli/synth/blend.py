"""Linear cross-fade between the two anchors around each target (nearest frame outside them)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from tempo_cli.synth.base import SynthesisResult, Synthesizer, bracketing_pair


class BlendSynthesizer(Synthesizer):
    """The cheapest reference: no motion at all."""

    name = "blend"

    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        frames: list[Tensor] = []
        for t in target_times:
            a, b = bracketing_pair(anchor_times, t)
            tau = (t - anchor_times[a]) / (anchor_times[b] - anchor_times[a])
            tau = min(max(tau, 0.0), 1.0)
            fa, fb = anchors[a], anchors[b]
            assert isinstance(fa, Tensor) and isinstance(fb, Tensor)
            frames.append(fa * (1 - tau) + fb * tau)
        return SynthesisResult(torch.stack(frames))
