"""Two cases of `tempo extrapolate --ahead 2` that users meet: a camera pan, and a still caption over a moving scene.

    python -m benchmarks.extrapolation_cases [--weights A.safetensors,B.safetensors] [--threads 2] [--json PATH]

Backgrounds are frames of the four held-out clips (frames 0, 60 and 120 of each at a 360-px short side, a 256x192
crop from the centre), never seen in training. Each moves in a straight line at a steady speed in a random
direction (fixed seed); frames at times -2..0 are the anchors (3, `tempo extrapolate`'s default) and the frames at
+1 and +2 are predicted from them in one call, as the CLI does at the end of a clip.

- pan: 16 px per frame. PSNR of each predicted frame's interior (40 px in from every edge, where no new content
  enters), in dB.
- caption: 12 px per frame under a still line of white text in a black outline, as subtitles are burnt in, drawn
  in every frame. The share of the caption's pixels (text and outline) off by more than 32 levels in any channel;
  lower is better.

Methods side by side in one run: TEMPO with each weights file (default: the shipped ones), linear DIS flow, and the
last frame repeated.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.quality import HELD_OUT, add_run_arguments, build, data_root, publish, stamp, stamp_line
from tempo_cli.devices import set_threads
from tempo_cli.evaluation.runner import to_image
from tempo_cli.synth.base import Synthesizer
from tempo_cli.training.data.clips import load_sequence

SIZE = (256, 192)  # width, height
FRAMES = (0, 60, 120)  # frames of each held-out clip used as backgrounds
SPEEDS = {"pan": 16.0, "caption": 12.0}  # px per frame
MARGIN = 40  # px left out at each edge when scoring the pan
OFF_LEVELS = 32
TIMES = (-2, -1, 0, 1, 2)
CAPTION = "TEMPO 00:12"
AHEAD = (1, 2)


def backgrounds(videos: Path) -> list[np.ndarray]:
    """RGB float frames in [0, 1] of the held-out clips, FRAMES of each, at a 360-px short side."""
    images = []
    for name in HELD_OUT:
        frames = load_sequence(videos / name, 360, max(FRAMES) + 1)
        images += [frames[i].astype(np.float32) / 255 for i in FRAMES]
    return images


def moving_frames(image: np.ndarray, velocity: np.ndarray) -> list[np.ndarray]:
    """A SIZE crop from the centre of `image` moving by `velocity` px per frame, at each of TIMES."""
    h, w = image.shape[:2]
    corner = np.array([(w - SIZE[0]) / 2, (h - SIZE[1]) / 2])
    frames = []
    for t in TIMES:
        x, y = -(corner + velocity * t)
        matrix = np.float32([[1, 0, x], [0, 1, y]])
        frames.append(cv2.warpAffine(image, matrix, SIZE, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101))
    return [np.clip(f, 0, 1) for f in frames]


def caption_layers() -> tuple[np.ndarray, np.ndarray]:
    """The still caption as subtitles are drawn: white text (alpha, H x W in [0, 1]) in a black outline (alpha)."""
    text, outline = (np.zeros(SIZE[::-1], np.uint8) for _ in range(2))
    for layer, thickness in ((outline, 6), (text, 2)):
        cv2.putText(layer, CAPTION, (32, SIZE[1] - 24), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, thickness, cv2.LINE_AA)
    return text.astype(np.float32) / 255, outline.astype(np.float32) / 255


def caption_mask() -> np.ndarray:
    """Where the caption lies: its text and outline (bool, H x W)."""
    return caption_layers()[1] > 0.5


def with_caption(frame: np.ndarray) -> np.ndarray:
    """`frame` under the still caption."""
    text, outline = (a[..., None] for a in caption_layers())
    out = frame * (1 - outline) + 0.02 * outline
    return out * (1 - text) + 0.96 * text


def predict(synth: Synthesizer, frames: list[np.ndarray]) -> list[np.ndarray]:
    """The frames at AHEAD predicted from those at times up to 0, as [0, 1] floats."""
    anchor_times = [float(t) for t in TIMES if t <= 0]
    anchors = [synth.prepare(to_image(frames[TIMES.index(int(t))])) for t in anchor_times]
    result = synth.synthesize(anchors, anchor_times, [float(t) for t in AHEAD])
    return [f.astype(np.float32) / 255 for f in result.frames]


def pan_psnr(predicted: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB of the interior, MARGIN px in from each edge."""
    inner = (slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    mse = float(np.mean((predicted[inner] - truth[inner]) ** 2))
    return 10 * np.log10(1 / max(mse, 1e-10))


def caption_off(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Share of the caption's pixels off by more than OFF_LEVELS levels in any channel."""
    error = np.abs(predicted - truth).max(axis=2) * 255
    return float(np.mean(error[caption_mask()] > OFF_LEVELS))


def score(synth: Synthesizer, images: list[np.ndarray], seed: int) -> dict[str, list[float]]:
    """Mean of each case's figure at +1 and +2 over `images`, each moving in a direction drawn from `seed`."""
    rng = np.random.default_rng(seed)
    figures: dict[str, list[list[float]]] = {"pan": [], "caption": []}
    for image in images:
        angle = rng.uniform(0, 2 * np.pi)
        direction = np.array([np.cos(angle), np.sin(angle)])
        pan = moving_frames(image, SPEEDS["pan"] * direction)
        truth = pan[-len(AHEAD) :]
        figures["pan"].append([pan_psnr(p, g) for p, g in zip(predict(synth, pan), truth, strict=True)])
        captioned = [with_caption(f) for f in moving_frames(image, SPEEDS["caption"] * direction)]
        truth = captioned[-len(AHEAD) :]
        figures["caption"].append([caption_off(p, g) for p, g in zip(predict(synth, captioned), truth, strict=True)])
    return {case: np.mean(values, axis=0).tolist() for case, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="", help="comma-separated TEMPO weights (default: the shipped ones)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the directions of motion")
    add_run_arguments(parser)
    args = parser.parse_args()
    set_threads(args.threads)
    videos = data_root() / "videos"
    images = backgrounds(videos)
    from tempo_cli.api import load_model

    methods: dict[str, Synthesizer] = {}
    for path in filter(None, args.weights.split(",")):
        methods[f"tempo {Path(path).name}"] = load_model("tempo", path)
    if not methods:
        methods["tempo (shipped)"] = load_model("tempo")
    for name, method in (("linear DIS flow", "flow"), ("repeat last", "nearest")):
        synth = build(method)
        assert not isinstance(synth, str)
        methods[name] = synth
    data: dict[str, Any] = {**stamp(), "threads": args.threads, "seed": args.seed, "images": len(images)}
    data["methods"] = {name: score(synth, images, args.seed) for name, synth in methods.items()}
    rows = [
        [name, *(f"{v:.2f}" for v in s["pan"]), *(f"{v:.3f}" for v in s["caption"])]
        for name, s in data["methods"].items()
    ]
    header = ["method", "pan +1 (dB)", "pan +2 (dB)", "caption off +1", "caption off +2"]
    title = f"Extrapolation 2 ahead from 3 frames, {len(images)} held-out backgrounds"
    note = f"Measured on {stamp_line(data)}. Pan: interior PSNR, higher is better; caption: share off, lower is better."
    publish(title, header, rows, note, data, args.json)


if __name__ == "__main__":
    main()
