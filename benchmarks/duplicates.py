"""Does `--dedup` restore the frames that copies stand in for, and what does it drop from real clips?

    python -m benchmarks.duplicates [--clips a.mp4,b.mp4] [--frames 48] [--every 3] [--max-side 360]
                                    [--methods flow,tempo] [--threads 2] [--json PATH]

Restoration: the first `--frames` frames of each clip, with every `--every`-th frame replaced by a copy of the
frame before it (3: a 20 fps source padded to 30 fps), are interpolated 2x through the engine, as `tempo
interpolate` does, with and without dropping duplicates. At the copies' times the output is scored against the
frames the copies replaced: without `--dedup` it is the copy, with it a frame synthesized between the distinct
neighbours. The default clips are the held-out clips that have no copies of their own (mmaction2_demo.mp4 has).

Detection: on every clip in shared/data/videos (its first 160 frames at the same size), how many frames the
default threshold drops, beside how many lie within 38 dB PSNR of the frame before (a loose count of copies and
near-still frames, for reference).
"""

from __future__ import annotations

import argparse
import itertools
from fractions import Fraction
from typing import Any

import numpy as np

from benchmarks.quality import HELD_OUT, add_run_arguments, build, data_root, publish, stamp, stamp_line
from tempo_cli.api import Interpolator
from tempo_cli.devices import set_threads
from tempo_cli.engine.duplicates import DEFAULT_THRESHOLD, drop_duplicates
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.training.data.clips import CLIP_MAX_FRAMES, find_sequences, load_sequence
from tempo_cli.video.reader import SourceFrame

NEAR_COPY_DB = 38.0
OWN_COPIES = ("mmaction2_demo.mp4",)


def with_copies(frames: list[np.ndarray], every: int) -> tuple[list[np.ndarray], list[int]]:
    """`frames` with every `every`-th one (from the `every - 1`-th on) replaced by the frame before; the indices."""
    replaced = list(range(every - 1, len(frames) - 1, every))
    padded = [frames[i - 1] if i in replaced else f for i, f in enumerate(frames)]
    return padded, replaced


def restoration(interpolator: Interpolator, frames: list[np.ndarray], every: int) -> dict[str, float]:
    """Mean PSNR at the copies' times against the replaced frames, copied and with duplicates dropped."""
    padded, replaced = with_copies(frames, every)
    copied = interpolator.interpolate_frames(padded, factor=2)
    deduped = interpolator.interpolate_frames(padded, factor=2, duplicate_threshold=DEFAULT_THRESHOLD)

    def score(outputs: list[np.ndarray]) -> float:
        return float(np.mean([psnr(outputs[2 * i] / 255.0, frames[i] / 255.0) for i in replaced]))

    return {"copies": len(replaced), "copied": score(copied), "dedup": score(deduped)}


def detection(frames: list[np.ndarray]) -> dict[str, int]:
    """Frames the default threshold drops, and frames within NEAR_COPY_DB of the one before."""
    dropped: list[int] = []
    stream = (SourceFrame(i, Fraction(i), f) for i, f in enumerate(frames))
    list(drop_duplicates(stream, on_drop=lambda f: dropped.append(f.index)))
    near = sum(psnr(a / 255.0, b / 255.0) >= NEAR_COPY_DB for a, b in itertools.pairwise(frames))
    return {"frames": len(frames), "dropped": len(dropped), "near_copies": int(near)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_clips = ",".join(c for c in HELD_OUT if c not in OWN_COPIES)
    parser.add_argument("--clips", default=default_clips, help="comma-separated names in shared/data/videos")
    parser.add_argument("--frames", type=int, default=48, help="frames of each clip for restoration")
    parser.add_argument("--every", type=int, default=3, help="every N-th frame becomes a copy")
    parser.add_argument("--max-side", type=int, default=360, help="short side of the frames")
    parser.add_argument("--methods", default="flow,tempo")
    add_run_arguments(parser)
    args = parser.parse_args()
    set_threads(args.threads)
    videos = data_root() / "videos"
    data: dict[str, Any] = {**stamp(), "every": args.every, "max_side": args.max_side, "restoration": {}}
    rows = []
    for method in args.methods.split(","):
        synth = build(method)
        assert not isinstance(synth, str), synth
        interpolator = Interpolator(synth)
        for clip in args.clips.split(","):
            frames = load_sequence(videos / clip, args.max_side, args.frames)
            result = restoration(interpolator, frames, args.every)
            data["restoration"].setdefault(method, {})[clip] = result
            rows.append(
                [f"{clip} ({method})", str(result["copies"]), f"{result['copied']:.2f}", f"{result['dedup']:.2f}"]
            )
    title = f"One frame in {args.every} a copy: PSNR dB at the copies' times against the frames they replaced"
    note = f"Short side {args.max_side}, first {args.frames} frames. Measured on {stamp_line(data)}."
    publish(title, ["clip (method)", "copies", "copied", "--dedup"], rows, note, data, None)
    data["detection"] = {}
    rows = []
    for path in find_sequences(videos):
        result = detection(load_sequence(path, args.max_side, CLIP_MAX_FRAMES))
        data["detection"][path.name] = result
        rows.append([path.name, str(result["frames"]), str(result["dropped"]), str(result["near_copies"])])
    title = f"Frames dropped at the default threshold ({DEFAULT_THRESHOLD:g} levels), first {CLIP_MAX_FRAMES} frames"
    header = ["clip", "frames", "dropped", f"within {NEAR_COPY_DB:g} dB of the one before"]
    publish(title, header, rows, f"Measured on {stamp_line(data)}.", data, args.json)


if __name__ == "__main__":
    main()
