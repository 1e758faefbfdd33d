"""Choosing a tile size from the memory that is free."""

from __future__ import annotations

import os

import torch

# Peak bytes per pixel and anchor of TEMPO inference: benchmarks/model_speed.py measured a peak RSS of
# 1654 MB for one 1280x720 frame from two anchors (tempo-s, fp32, CPU, 2026-11-22), about 900 B per
# pixel and anchor; three times that leaves room for the engine's window and the encoder.
BYTES_PER_PIXEL_PER_ANCHOR = 3 * 900
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


def auto_tile(width: int, height: int, anchors: int, device: torch.device | None = None) -> int | None:
    """None if the whole frame fits in half the free memory, else the largest square tile that does."""
    budget = free_memory(device) // 2
    per_pixel = BYTES_PER_PIXEL_PER_ANCHOR * max(anchors, 2)
    if width * height * per_pixel <= budget:
        return None
    side = int((budget / per_pixel) ** 0.5) // 64 * 64
    return max(side, MIN_TILE)
