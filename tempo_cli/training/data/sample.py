"""One training sample and the plan of which times it covers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Sample:
    """N anchors (uint8 HxWx3 each) at times, one target frame at target_time."""

    anchors: list[np.ndarray]
    anchor_times: list[float]
    target: np.ndarray
    target_time: float
    is_cut: bool = False


@dataclass(frozen=True)
class TimePlan:
    """Anchor positions 0..N-1 (in units of the anchor gap) and the target position."""

    anchors: int
    target: float


# How far past an end extrapolation targets lie, in anchor gaps, unless a run asks for more.
MAX_AHEAD = 2
# The most anchors a batch asks for (its long-context batches have 3 or 4).
MAX_ANCHORS = 4


def draw_plan(rng: np.random.Generator, anchors: int, extrapolate: bool, max_ahead: int = MAX_AHEAD) -> TimePlan:
    """Interpolation between the middle pair, or extrapolation up to `max_ahead` gaps past an end."""
    if extrapolate:
        ahead = float(rng.choice([0.5, 1.0, 1.0, 1.0, *range(2, max_ahead + 1)]))
        target = anchors - 1 + ahead if rng.random() < 0.8 else -ahead
        return TimePlan(anchors, target)
    left = (anchors - 2) // 2
    return TimePlan(anchors, left + float(rng.uniform(0.1, 0.9)))
