"""Choosing a tile size from the memory that is free."""

from __future__ import annotations

import os

import torch

# Peak bytes per pixel of the frame and anchor of a whole `tempo interpolate --factor 2` run: a part that follows the
# full frames, and a part that follows the frames the network works on (scale^2 of them). Fitted to peak RSS on
# 2 cores (session 32, 2026-12-07; 720p and 1080p at scales 1/2 and 1: 0.91 / 1.74 and 1.61 / 3.53 GB, with 0.38 GB
# that does not grow with the frame): 142 + 620 s^2; it overstates 4K at scale 1/4 (3.4 against 2.3 GB). MARGIN leaves
# room for the encoder. Each more target a model call makes holds about 11 bytes a pixel more (4K untiled at --factor
# 16: 3.5 GB against 2.3 at 2x, session 32).
FULL_SIZE_BYTES = 142
WORKING_SIZE_BYTES = 620
TARGET_BYTES = 11
MARGIN = 1.5
MIN_TILE = 256


def free_memory(device: torch.device | None = None) -> int:
    """Free bytes on the device (CUDA) or available RAM (CPU)."""
    if device is not None and device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))


def auto_tile(
    width: int, height: int, anchors: int, scale: float = 1.0, targets: int = 1, device: torch.device | None = None
) -> int | None:
    """None if the whole frame fits in half the free memory, else the largest square tile that does, for a network
    that works on the frames resized by `scale` and makes up to `targets` frames a call. (At 2,700 bytes a pixel and
    anchor whatever the scale, 4K had been tiled with 13.6 GB free although it runs whole in 2.3 GB.)"""
    budget = free_memory(device) // 2
    per_anchor = (FULL_SIZE_BYTES + WORKING_SIZE_BYTES * scale**2) * max(anchors, 2)
    per_pixel = MARGIN * (per_anchor + TARGET_BYTES * (max(targets, 1) - 1))
    if width * height * per_pixel <= budget:
        return None
    side = int((budget / per_pixel) ** 0.5) // 64 * 64
    return max(side, MIN_TILE)
