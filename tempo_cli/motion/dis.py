"""OpenCV DIS optical flow on numpy frames."""

from __future__ import annotations

import threading

import cv2
import numpy as np

_local = threading.local()
PRESETS = {"medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST}


def _dis(preset: str) -> cv2.DISOpticalFlow:
    """One DIS instance per thread and preset (OpenCV objects are not thread-safe)."""
    instances: dict[str, cv2.DISOpticalFlow] | None = getattr(_local, "dis", None)
    if instances is None:
        instances = _local.dis = {}
    if preset not in instances:
        instances[preset] = cv2.DISOpticalFlow_create(PRESETS[preset])
    return instances[preset]


def to_gray_u8(frame: np.ndarray) -> np.ndarray:
    """RGB (H,W,3) image, uint8, uint16 or float in [0,1], to 8-bit grayscale."""
    if frame.dtype == np.uint16:
        frame = (frame >> 8).astype(np.uint8)
    elif frame.dtype != np.uint8:
        frame = np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def dis_flow(src_gray: np.ndarray, dst_gray: np.ndarray, preset: str = "medium") -> np.ndarray:
    """Dense flow (H,W,2) float32 such that src(x) ~ dst(x + flow(x)); `preset` is a key of PRESETS."""
    return _dis(preset).calc(src_gray, dst_gray, None)


def dis_flow_pair(a_gray: np.ndarray, b_gray: np.ndarray, preset: str = "medium") -> tuple[np.ndarray, np.ndarray]:
    """Flows a->b and b->a."""
    return dis_flow(a_gray, b_gray, preset), dis_flow(b_gray, a_gray, preset)
