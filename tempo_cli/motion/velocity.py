"""Linear-motion offsets from a velocity field: where a target pixel lies in each anchor."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor

Field = TypeVar("Field", np.ndarray, "Tensor")


def pair_velocity(flow_ab: Field, flow_ba: Field) -> Field:
    """Velocity per anchor interval at target positions: v = (F_ab - F_ba) / 2.

    For a target at fraction tau of the interval, the backward flow to the anchor
    at fraction s is (s - tau) * v; at tau = 1/2 this equals the Super-SloMo
    approximation, and it extends linearly to targets outside the pair.
    """
    return (flow_ab - flow_ba) * 0.5


def offsets_to_anchor(velocity: np.ndarray, anchor_pos: float, target_pos: float) -> np.ndarray:
    """Backward flow from the target to an anchor, positions in units of the pair interval."""
    return velocity * (anchor_pos - target_pos)
