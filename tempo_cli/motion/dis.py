"""OpenCV DIS optical flow on numpy frames."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

_local = threading.local()
# Name -> (OpenCV preset, settings overriding it). "dense" is MEDIUM with 6-px patches every 2 px
# instead of 8-px patches every 3 px and without the variational refinement: less than twice
# MEDIUM's time, and as TEMPO's prior it scored 0.23 dB higher at 2x on the held-out clips
# (docs/training.md, session 9).
PRESETS: dict[str, tuple[int, dict[str, int]]] = {
    "medium": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, {}),
    "dense": (
        cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
        {"PatchSize": 6, "PatchStride": 2, "VariationalRefinementIterations": 0},
    ),
    "fast": (cv2.DISOPTICAL_FLOW_PRESET_FAST, {}),
}


def _dis(preset: str, shape: tuple[int, ...]) -> cv2.DISOpticalFlow:
    """A DIS instance for this thread, preset and frame size (OpenCV objects are not thread-safe).

    An instance is made anew when the frame size changes: OpenCV's DIS keeps state from the
    size it saw before (a FAST instance that has seen a smaller frame returns flows up to 3 px
    off on the next larger one), and flows must not depend on what was computed earlier.
    """
    instances: dict[str, tuple[tuple[int, ...], cv2.DISOpticalFlow]] | None = getattr(_local, "dis", None)
    if instances is None:
        instances = _local.dis = {}
    if preset not in instances or instances[preset][0] != shape:
        instances[preset] = (shape, _create(preset))
    return instances[preset][1]


def _create(preset: str) -> cv2.DISOpticalFlow:
    """A new DIS instance with the settings of `preset`."""
    base, settings = PRESETS[preset]
    dis = cv2.DISOpticalFlow.create(base)
    for name, value in settings.items():
        getattr(dis, f"set{name}")(value)
    return dis


@functools.cache
def min_side(preset: str) -> int:
    """The shortest side DIS at `preset` takes safely: one patch at its finest scale (FAST: 8 px at 1/4, 32 px)."""
    dis = _create(preset)
    return int(dis.getPatchSize()) << int(dis.getFinestScale())


def to_gray_u8(frame: np.ndarray) -> np.ndarray:
    """RGB (H,W,3) image, uint8, uint16 or float in [0,1], to 8-bit grayscale."""
    if frame.dtype == np.uint16:
        frame = (frame >> 8).astype(np.uint8)
    elif frame.dtype != np.uint8:
        frame = np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def dis_flow(src_gray: np.ndarray, dst_gray: np.ndarray, preset: str = "medium") -> np.ndarray:
    """Dense flow (H,W,2) float32 such that src(x) ~ dst(x + flow(x)); `preset` is a key of PRESETS.

    OpenCV's DIS fails, or crashes the process, on frames whose short side is below one patch at its finest
    scale (`min_side`); such frames are padded to it by repeating their edges, and the flow is cropped back.
    """
    h, w = src_gray.shape
    side = min_side(preset)
    pad_h, pad_w = max(0, side - h), max(0, side - w)
    if pad_h or pad_w:
        src_gray, dst_gray = (
            cv2.copyMakeBorder(g, 0, pad_h, 0, pad_w, cv2.BORDER_REPLICATE) for g in (src_gray, dst_gray)
        )
    # OpenCV's stubs type the output argument as required; None asks DIS for a new, zero-initialised flow.
    flow = _dis(preset, src_gray.shape).calc(src_gray, dst_gray, None)  # type: ignore[call-overload]
    return flow[:h, :w]


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """Threads for flows computed side by side; a forked child starts a pool of its own."""
    os.register_at_fork(after_in_child=_pool.cache_clear)
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="dis")


def dis_flows(jobs: Sequence[tuple[np.ndarray, np.ndarray, str]]) -> list[np.ndarray]:
    """`dis_flow(src, dst, preset)` of each job, run side by side in threads (OpenCV releases the GIL).

    Each DIS call is only partly parallel inside OpenCV, so two flows at once take about a
    fifth less time than one after the other on two cores; the flows are the same.
    """
    if len(jobs) < 2:
        return [dis_flow(*job) for job in jobs]
    return list(_pool().map(lambda job: dis_flow(*job), jobs))


def dis_flow_pair(a_gray: np.ndarray, b_gray: np.ndarray, preset: str = "medium") -> tuple[np.ndarray, np.ndarray]:
    """Flows a->b and b->a."""
    forward, backward = dis_flows([(a_gray, b_gray, preset), (b_gray, a_gray, preset)])
    return forward, backward
