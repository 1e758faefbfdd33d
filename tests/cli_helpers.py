"""Running the CLI in-process and reading its output videos."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tempo_cli.cli.app import main
from tempo_cli.video.reader import VideoReader


def run_cli(args: list[str]) -> int:
    """Exit code of `tempo ARGS` run in this process."""
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def frames_and_times(path: Path) -> tuple[list[np.ndarray], list[Fraction]]:
    """Decoded frames and their times."""
    with VideoReader(path) as reader:
        frames = list(reader)
    return [f.image for f in frames], [f.time for f in frames]


def stream_span(path: Path, kind: str) -> tuple[float, float] | None:
    """Start and end in seconds of the first stream of `kind` (video/audio), from its packets as stored."""
    with av.open(str(path)) as container:
        streams = [s for s in container.streams if s.type == kind]
        if not streams:
            return None
        stream = streams[0]
        end = Fraction(0)
        start = None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            t = Fraction(packet.pts) * stream.time_base
            start = t if start is None else min(start, t)
            end = max(end, t + Fraction(packet.duration or 0) * stream.time_base)
        return float(start or 0), float(end)


def stream_seconds(path: Path, kind: str) -> float | None:
    """Duration in seconds of the first stream of `kind` (video/audio), from its packets."""
    span = stream_span(path, kind)
    return None if span is None else span[1] - span[0]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 images."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
