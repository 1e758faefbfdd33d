"""The interface every synthesizer fills."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class SynthesisResult:
    """Frames at the requested target times, with what the synthesizer knows about them."""

    frames: Tensor
    confidence: Tensor | None = None
    cut_score: float | None = None


class Synthesizer(ABC):
    """Makes frames at arbitrary times from anchor frames at known times.

    Frames are float tensors [3,H,W] in [0,1]. `prepare` runs once per source
    frame (per tile) and its result is reused by every anchor set that
    contains that frame; `synthesize` takes the prepared anchors in any
    order and any number of target times, inside or outside their span.
    """

    name: str = ""

    def prepare(self, frame: Tensor) -> object:
        """Per-frame state computed once (features, grayscale...); default: the frame itself."""
        return frame

    @abstractmethod
    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        """Frames [T,3,H,W] at `target_times` (same unit as `anchor_times`)."""


def bracketing_pair(anchor_times: Sequence[float], target: float) -> tuple[int, int]:
    """Indices (in time order) of the consecutive anchors around `target`, or the nearest end pair."""
    order = sorted(range(len(anchor_times)), key=lambda i: anchor_times[i])
    pos = 0
    while pos < len(order) - 2 and anchor_times[order[pos + 1]] <= target:
        pos += 1
    return order[pos], order[pos + 1]


class PairSynthesizer(Synthesizer):
    """A synthesizer that only looks at the two anchors around each target (or the nearest end pair)."""

    @abstractmethod
    def pair(self, first: object, second: object, tau: float) -> Tensor:
        """Frame [3,H,W] at fraction `tau` of the way from `first` to `second` (outside [0,1]: beyond them)."""

    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        frames = []
        for t in target_times:
            a, b = bracketing_pair(anchor_times, t)
            tau = (t - anchor_times[a]) / (anchor_times[b] - anchor_times[a])
            frames.append(self.pair(anchors[a], anchors[b], tau))
        return SynthesisResult(torch.stack(frames))
