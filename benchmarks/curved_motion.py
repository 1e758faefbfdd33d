"""Does TEMPO follow accelerating motion from 3 past frames? Kodak images on a path of constant acceleration.

    python -m benchmarks.curved_motion [--accels 0,2,4] [--threads 2] [--json PATH]

Each of the first 12 Kodak images moves on a straight line in a random direction, 3 px per frame at first and
faster by `a` px per frame per frame (a = 0 is steady motion). The frame after four is predicted from the last 2
and the last 3 frames, by the shipped weights with curved paths (`prior_curvature`, the default) and by the same
weights with straight paths only, and by linear DIS flow from the last 2, all in one run.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import cv2
import numpy as np
import torch

from benchmarks.quality import add_run_arguments, build, data_root, publish, shipped_model, stamp, stamp_line
from tempo_cli.devices import set_threads
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import to_image
from tempo_cli.synth.base import Synthesizer
from tempo_cli.synth.neural import TempoSynthesizer

IMAGES = 12
SPEED = 3.0  # px per frame at time 0
SIZE = (256, 192)  # width, height of the moving crop


def accelerating_frames(image: np.ndarray, direction: np.ndarray, accel: float) -> list[np.ndarray]:
    """Frames at times 0..4 of `image` moving along `direction` by SPEED * t + accel * t^2 / 2 px, [0,1] floats."""
    frames = []
    for t in range(5):
        x, y = (SPEED * t + 0.5 * accel * t * t) * direction - 60
        matrix = np.float32([[1, 0, x], [0, 1, y]])
        moved = cv2.warpAffine(image, matrix, SIZE, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
        frames.append(np.clip(moved, 0, 1))
    return frames


def next_frame_psnr(synth: Synthesizer, frames: list[np.ndarray], past: int) -> float:
    """PSNR of the frame at time 4 predicted from the `past` frames before it."""
    times = [float(t) for t in range(4 - past, 4)]
    anchors = [synth.prepare(to_image(frames[int(t)])) for t in times]
    return psnr(synth.synthesize(anchors, times, [4.0]).frames[0].astype(np.float32) / 255, frames[4])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accels", default="0,2,4", help="comma-separated accelerations, px per frame per frame")
    add_run_arguments(parser)
    args = parser.parse_args()
    set_threads(args.threads)
    curved = shipped_model()
    straight = shipped_model()
    straight.config = dataclasses.replace(straight.config, prior_curvature=False)
    device = torch.device("cpu")
    synths = {"tempo curved": TempoSynthesizer(curved, device, None)}
    synths["tempo straight"] = TempoSynthesizer(straight, device, None)
    flow = build("flow")
    assert not isinstance(flow, str)
    columns = [(name, past) for past in (2, 3) for name in synths]
    rng = np.random.default_rng(0)
    data: dict[str, Any] = {**stamp(), "threads": args.threads, "images": IMAGES, "accels": {}}
    rows = []
    for accel in (float(a) for a in args.accels.split(",")):
        scores: dict[str, list[float]] = {}
        for i in range(1, IMAGES + 1):
            bgr = cv2.imread(str(data_root() / "natural_images" / "kodak24" / f"kodim{i:02d}.png"))
            image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255
            angle = rng.uniform(0, 2 * np.pi)
            frames = accelerating_frames(image, np.array([np.cos(angle), np.sin(angle)]), accel)
            scores.setdefault("flow, 2 frames", []).append(next_frame_psnr(flow, frames, 2))
            for name, past in columns:
                scores.setdefault(f"{name}, {past} frames", []).append(next_frame_psnr(synths[name], frames, past))
        means = {k: float(np.mean(v)) for k, v in scores.items()}
        data["accels"][f"{accel:g}"] = means
        rows.append([f"{accel:g}", *(f"{m:.2f}" for m in means.values())])
    header = ["accel (px/frame^2)", *data["accels"][next(iter(data["accels"]))]]
    title = f"Next frame of {IMAGES} Kodak images on paths of constant acceleration, PSNR dB"
    publish(title, header, rows, f"Measured on {stamp_line(data)}.", data, args.json)


if __name__ == "__main__":
    main()
