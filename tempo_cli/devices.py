"""Device, precision and thread settings."""

from __future__ import annotations

import cv2
import torch

from tempo_cli.errors import TempoError

PRECISIONS = ("auto", "fp32", "fp16", "bf16")


def resolve_device(spec: str = "auto") -> torch.device:
    """'auto' -> cuda if available else cpu; 'cpu', 'cuda', 'cuda:1' as given (checked)."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except RuntimeError as exc:
        raise TempoError(f"unknown device {spec!r} (use auto, cpu, cuda or cuda:N)") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TempoError(f"device {spec} requested but CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise TempoError(f"device {spec} does not exist ({torch.cuda.device_count()} CUDA devices)")
    elif device.type != "cpu":
        raise TempoError(f"unsupported device {spec!r} (use auto, cpu, cuda or cuda:N)")
    return device


def resolve_precision(spec: str, device: torch.device) -> torch.dtype | None:
    """Autocast dtype, or None for fp32. 'auto' is fp16 on CUDA and fp32 on the CPU.

    On this project's CPU, bf16 autocast measured no faster than fp32 for
    inference (see benchmarks/model_speed.py), so fp32 is the CPU default.
    """
    if spec not in PRECISIONS:
        raise TempoError(f"unknown precision {spec!r} (use {', '.join(PRECISIONS)})")
    if spec == "auto":
        return torch.float16 if device.type == "cuda" else None
    if spec == "fp16" and device.type == "cpu":
        raise TempoError("fp16 is not supported on the CPU; use bf16 or fp32")
    return {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}[spec]


def set_threads(threads: int | None) -> None:
    """Limit torch and OpenCV to `threads` CPU threads (None: leave the defaults)."""
    if threads is None:
        return
    if threads < 1:
        raise TempoError(f"--threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def describe(device: torch.device) -> str:
    """One line: device name and threads."""
    if device.type == "cuda":
        return f"CUDA {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"
