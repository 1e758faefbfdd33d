"""ffmpeg's motion-compensated `minterpolate` filter as a peer: whole videos, and triplets behind the Synthesizer API.

What we found by running it (ffmpeg from imageio-ffmpeg, 2026):

- From only two input frames minterpolate emits nothing: it interpolates between the 2nd and 3rd frames of a
  4-frame queue and needs a frame after the pair to flush it. The triplet wrapper therefore feeds the pair with
  its last anchor repeated once ([a, b, b] at 1 fps).
- With that input at fps=q the output has index k at time k/q: index 0 is `a`, index q is `b` (about 52 dB
  against the inputs, the loss being the RGB -> yuv444p -> RGB rounding), the middle frame at fps=2 is index 1.
  There is no shift; every call checks it again (`MIN_ALIGNMENT_DB`) and keeps the worst value seen.
- The default scene-change detection (scd=fdiff) declares a cut on 4 of the 22 DAVIS pairs (boxing, juggle,
  pole-vault, tackle) and then duplicates an input frame. A triplet is never a cut, so the wrapper sets scd=none;
  the video-level runs keep ffmpeg's defaults, as a user would get them.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from tempo_cli.synth.base import SynthesisResult, Synthesizer, bracketing_pair

MOTION = "mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
MIN_ALIGNMENT_DB = 45.0
MAX_STEPS = 16


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def video_command(src: Path, dst: Path, fps: Fraction, lossless: bool = False) -> list[str]:
    """ffmpeg command: `src` to `fps` with minterpolate, libx264 crf 18 preset medium (or lossless ffv1 .mkv).

    Threading is ffmpeg's default (the filter itself runs on one thread).
    """
    codec = ["-c:v", "ffv1"] if lossless else ["-c:v", "libx264", "-crf", "18", "-preset", "medium"]
    vf = f"minterpolate=fps={fps}:{MOTION}"
    return [ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-an", "-vf", vf, *codec, str(dst)]


def minterpolate_video(src: Path, dst: Path, fps: Fraction, lossless: bool = False) -> None:
    """Convert `src` to `fps` frames per second with minterpolate into `dst` (mp4, or ffv1 mkv if `lossless`)."""
    subprocess.run(video_command(src, dst, fps, lossless), check=True, capture_output=True)


def _psnr_u8(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def interpolate_pair(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """minterpolate frames at 0, 1/steps, ..., 1 between RGB uint8 frames `a` and `b`: (steps+1, H, W, 3)."""
    h, w = a.shape[:2]
    cmd = [
        ffmpeg_exe(), "-v", "error", "-threads", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
        "-r", "1", "-i", "-", "-vf", f"format=yuv444p,minterpolate=fps={steps}:{MOTION}:scd=none",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    ]  # fmt: skip
    raw = np.stack([a, b, b]).tobytes()
    out = subprocess.run(cmd, input=raw, capture_output=True, check=True).stdout
    frames = np.frombuffer(out, np.uint8).reshape(-1, h, w, 3)
    if len(frames) < steps + 1:
        raise RuntimeError(f"minterpolate returned {len(frames)} frames, expected at least {steps + 1}")
    return frames[: steps + 1]


class MinterpolateSynthesizer(Synthesizer):
    """minterpolate on each anchor pair (one ffmpeg process per call); outside the pair it repeats the nearer one.

    `alignment_db` is the lowest PSNR seen between an output frame at an anchor time and that anchor.
    """

    name = "minterpolate"

    def __init__(self) -> None:
        self.alignment_db = math.inf

    def _check(self, frames: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        worst = min(_psnr_u8(frames[0], a), _psnr_u8(frames[-1], b))
        self.alignment_db = min(self.alignment_db, worst)
        if worst < MIN_ALIGNMENT_DB:
            raise RuntimeError(f"minterpolate output is misaligned: {worst:.1f} dB against its input frames")

    def _pair(self, a: np.ndarray, b: np.ndarray, taus: list[Fraction]) -> list[np.ndarray]:
        """Frames at fractions `taus` (inside the pair) from one ffmpeg run at the common step."""
        steps = math.lcm(*(tau.denominator for tau in taus))
        frames = interpolate_pair(a, b, steps)
        self._check(frames, a, b)
        return [frames[int(tau * steps)].copy() for tau in taus]

    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        out: dict[int, np.ndarray] = {}
        inside: dict[tuple[int, int], list[tuple[int, Fraction]]] = {}
        for i, t in enumerate(target_times):
            ia, ib = bracketing_pair(anchor_times, t)
            tau = (t - anchor_times[ia]) / (anchor_times[ib] - anchor_times[ia])
            if tau <= 0 or tau >= 1:
                out[i] = anchors[ia if tau <= 0 else ib]  # type: ignore[assignment]
            else:
                inside.setdefault((ia, ib), []).append((i, Fraction(tau).limit_denominator(MAX_STEPS)))
        for (ia, ib), targets in inside.items():
            a, b = anchors[ia], anchors[ib]
            assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
            frames = self._pair(a, b, [tau for _, tau in targets])
            out.update((i, f) for (i, _), f in zip(targets, frames, strict=True))
        return SynthesisResult([out[i] for i in range(len(target_times))])
