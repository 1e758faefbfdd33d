"""The machine and date every benchmark figure is stated with."""

from __future__ import annotations

import datetime
import os
import platform

import torch


def describe_machine() -> str:
    """CPU model, cores, torch threads and today's date."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads, "
        f"{datetime.date.today().isoformat()}"
    )
