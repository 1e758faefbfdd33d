"""Device, precision and thread settings."""

from __future__ import annotations

from pathlib import Path

import cv2
import torch

from tempo_cli.errors import TempoError

PRECISIONS = ("auto", "fp32", "fp16", "bf16")
MAX_THREADS = 1024  # OpenCV failed to start 20,000 threads with 10,000 lines of errors, then the process crashed
_AUTOCAST = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}


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


def cpuinfo_reports_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether Linux's CPU flags include AVX512-BF16 or AMX-BF16 (False where the file is missing)."""
    try:
        flags = cpuinfo.read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_has_native_bf16() -> bool:
    """Whether the CPU computes bf16 in hardware: torch's own check where it has one, else Linux's flags."""
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    if avx512_bf16 is None or amx is None:
        return cpuinfo_reports_bf16()
    return bool(avx512_bf16() or amx())


def resolve_precision(spec: str, device: torch.device) -> torch.dtype | None:
    """Autocast dtype, or None for fp32.

    'auto' is fp16 on CUDA; on a CPU, bf16 where the CPU computes it in hardware (on this
    project's CPU it took 17% less time than fp32 and matched it to 0.001 dB on the held-out
    clips; benchmarks/model_speed.py), else fp32 (emulated bf16 is slower).
    """
    if spec not in PRECISIONS:
        raise TempoError(f"unknown precision {spec!r} (use {', '.join(PRECISIONS)})")
    if spec == "auto":
        if device.type == "cuda":
            return torch.float16
        return torch.bfloat16 if cpu_has_native_bf16() else None
    if spec == "fp16" and device.type == "cpu":
        raise TempoError("fp16 is not supported on the CPU; use bf16 or fp32")
    return _AUTOCAST[spec]


def precision_name(dtype: torch.dtype | None) -> str:
    """The PRECISIONS name of an autocast dtype from `resolve_precision` (None: fp32)."""
    return next(name for name, value in _AUTOCAST.items() if value == dtype)


def set_threads(threads: int | None) -> None:
    """Limit torch and OpenCV to `threads` CPU threads (None: leave the defaults)."""
    if threads is None:
        return
    if not 1 <= threads <= MAX_THREADS:
        raise TempoError(f"--threads must be from 1 to {MAX_THREADS}, got {threads}")
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def describe(device: torch.device) -> str:
    """One line: device name and threads."""
    if device.type == "cuda":
        return f"CUDA {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"
