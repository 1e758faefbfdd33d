"""The interface every synthesizer fills."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tempo_cli.errors import TempoError


@dataclass
class SynthesisResult:
    """Frames at the requested target times, with what the synthesizer knows about them.

    frames: RGB images of the anchors' shape and dtype (uint8 or uint16).
    confidence: per frame, a float32 map in [0,1] of the model's confidence, if it has one.
    cut_score: the model's belief (0-1) that the anchors straddle a scene cut, if it has one.
    """

    frames: list[np.ndarray]
    confidence: list[np.ndarray] | None = None
    cut_score: float | None = None


class Synthesizer(ABC):
    """Makes frames at arbitrary times from anchor frames at known times.

    Frames are RGB numpy images (H,W,3) of uint8, or uint16 for high bit depth.
    `prepare` runs once per source frame (per tile) and its result is reused by
    every anchor set that contains that frame; `synthesize` takes the prepared
    anchors in any order and any number of target times, inside or outside their span.
    """

    name: str = ""
    has_confidence: bool = False  # whether results carry a confidence map per frame
    follows_motion: bool = True  # whether it moves pixels along the scene's motion (still overlays can mislead it)

    def prepare(self, image: np.ndarray, frame_size: tuple[int, int] | None = None) -> object:
        """Per-frame state computed once (features, grayscale...); default: the image itself.

        `frame_size` is the whole frame's (height, width) when `image` is one tile of it. The state may hold `image`
        itself, not a copy: leave it unchanged while the state is in use.
        """
        return image

    def working_scale(self, height: int, width: int) -> float:
        """The factor frames of this size are resized by for the heavy work (1: none); it sizes `--tile auto`."""
        return 1.0

    @abstractmethod
    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        """Frames at `target_times` (same unit as `anchor_times`)."""


def check_times(anchor_count: int, anchor_times: Sequence[float], target_times: Sequence[float]) -> None:
    """Raise TempoError unless there is one time per anchor, at least two anchors, every time is finite and no two
    anchors share a time."""
    if len(anchor_times) != anchor_count:
        raise TempoError(f"{anchor_count} anchors but {len(anchor_times)} anchor times")
    if anchor_count < 2:
        raise TempoError(f"synthesis needs at least 2 anchors, got {anchor_count}")
    bad = [t for t in (*anchor_times, *target_times) if not math.isfinite(t)]
    if bad:
        raise TempoError(f"times must be finite numbers, got {bad[0]}")
    if len(set(anchor_times)) != anchor_count:
        raise TempoError(f"no two anchors may share a time, got {list(anchor_times)}")


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
    def pair(self, first: object, second: object, tau: float) -> np.ndarray:
        """Frame at fraction `tau` of the way from `first` to `second` (outside [0,1]: beyond them)."""

    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        check_times(len(anchors), anchor_times, target_times)
        frames = []
        for t in target_times:
            a, b = bracketing_pair(anchor_times, t)
            tau = (t - anchor_times[a]) / (anchor_times[b] - anchor_times[a])
            frames.append(self.pair(anchors[a], anchors[b], tau))
        return SynthesisResult(frames)


def mix(first: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * first + weight * second, rounded, in the images' own dtype."""
    return cv2.addWeighted(first, 1.0 - weight, second, weight, 0.0)
