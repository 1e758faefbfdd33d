"""Jump cuts (the same set-up, the subject elsewhere) found, and cuts added where there are none, on real clips.

    python -m benchmarks.jump_cuts [--frames 240] [--json PATH]

Every clip of shared/data/videos with at least 120 frames, its first `--frames` at the detector's 256-px width.
Jumps are made by leaving frames out: at frames 40 and 80, 15, 30 and 60 frames ahead (a cut to the same camera a
moment later), the detector streamed through the frames before, the jump and 3 frames after. Cuts in the clips as
they are: what each variant reports in the unmodified clips (a few hold real cuts), and with every frame held for
HELD frames (animation on threes, a low rate in a faster file); the difference between the variants is what
looking for jump cuts adds. Side by side: `SceneCutDetector` as shipped and with jump cuts off
(`jump_ratio=None`, ContentDetector and the motion check alone).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.quality import add_run_arguments, data_root, publish, stamp, stamp_line
from tempo_cli.devices import set_threads
from tempo_cli.engine.cuts import SceneCutDetector
from tempo_cli.video.reader import iter_video_frames

WIDTH = 256
MIN_FRAMES = 120
JUMPS = [(at, skip) for at in (40, 80) for skip in (15, 30, 60)]
HELD = 3
VARIANTS = {"shipped": {}, "jump cuts off": {"jump_ratio": None}}


def clip_frames(path: Path, count: int) -> list[np.ndarray]:
    """The first `count` frames of a clip at WIDTH px (smaller frames as they are)."""
    frames = []
    for frame in iter_video_frames(path):
        h, w = frame.shape[:2]
        if w > WIDTH:
            frame = cv2.resize(frame, (WIDTH, max(1, round(h * WIDTH / w))), interpolation=cv2.INTER_LINEAR)
        frames.append(frame)
        if len(frames) >= count:
            break
    return frames


def cuts_in(frames: list[np.ndarray], options: dict[str, Any]) -> list[int]:
    """The frames a new SceneCutDetector with `options` calls the first of a shot."""
    detector = SceneCutDetector(**options)
    return [i for i, frame in enumerate(frames) if detector(i, frame)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=240, help="frames read from the start of each clip")
    add_run_arguments(parser)
    args = parser.parse_args()
    set_threads(args.threads)
    clips = sorted(p for p in (data_root() / "videos").iterdir() if p.is_file())
    data: dict[str, Any] = {**stamp(), "clips": {}, "totals": {}}
    for path in clips:
        frames = clip_frames(path, args.frames)
        if len(frames) < MIN_FRAMES:
            continue
        result = {}
        for name, options in VARIANTS.items():
            jumped = 0
            for at, skip in JUMPS:
                stream = frames[: at + 1] + frames[at + skip : at + skip + 3]
                jumped += (at + 1) in cuts_in(stream, options)
            held = [frame for frame in frames for _ in range(HELD)]
            result[name] = {"jumps": jumped, "false": cuts_in(frames, options), "held": len(cuts_in(held, options))}
        data["clips"][path.name] = {"pairs": len(frames) - 1, **result}
    for name in VARIANTS:
        clips_data = data["clips"].values()
        data["totals"][name] = {
            "jumps": sum(c[name]["jumps"] for c in clips_data),
            "of": len(JUMPS) * len(data["clips"]),
            "false": sum(len(c[name]["false"]) for c in clips_data),
            "pairs": sum(c["pairs"] for c in clips_data),
            "held": sum(c[name]["held"] for c in clips_data),
        }
    rows = [
        [name, f"{t['jumps']} / {t['of']}", f"{t['false']} / {t['pairs']}", str(t["held"])]
        for name, t in data["totals"].items()
    ]
    rows += [
        [f"  {clip}", "", ", ".join(f"{n}: {c[n]['false']}" for n in VARIANTS), ""]
        for clip, c in data["clips"].items()
        if any(c[n]["false"] for n in VARIANTS)
    ]
    title = f"Jump cuts found and cuts reported in clips as they are, {len(data['clips'])} clips"
    header = ["detector", "jumps cut", "cuts in the clips as they are (frames)", f"cuts, each frame held {HELD} times"]
    publish(title, header, rows, f"Measured on {stamp_line(data)}.", data, args.json)


if __name__ == "__main__":
    main()
