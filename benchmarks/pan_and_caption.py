"""Two cases users meet: a camera pan, and a still caption over a moving scene, made between frames and ahead.

    python -m benchmarks.pan_and_caption [--weights A.safetensors,B.safetensors] [--threads 2] [--json PATH]

Backgrounds are frames of the four held-out clips (frames 0, 60 and 120 of each at a 360-px short side, a 256x192
crop from the centre), never seen in training. Each moves in a straight line at a steady speed in a random
direction (fixed seed). Between: the frame at -1 made from those at -2 and 0 (`tempo interpolate` at 2x). Ahead:
the frames at +1 and +2 predicted in one call from those at -2..0 (3 anchors, `tempo extrapolate`'s default), as
the CLI does at the end of a clip.

- pan: 16 px per frame. PSNR of each made frame's interior (40 px in from every edge, where no new content
  enters), in dB.
- caption: 12 px per frame under a still line of white text in a black outline, as subtitles are burnt in, drawn
  in every frame. The share of the caption's pixels (text and outline) off by more than 32 levels in any channel;
  lower is better.
- around: the picture within SURROUND px of the caption (not the caption itself), PSNR in dB of the captioned frames
  and, beside it, of the same frames made without the caption: how far the still letters hold the scene around
  them back.

Methods side by side in one run: TEMPO with each weights file (default: the shipped ones), with and without
`keep_still` (still detail kept from the anchors, `tempo_cli.model.still`), linear DIS flow, and the nearest frame.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.quality import HELD_OUT, add_run_arguments, build, data_root, publish, stamp, stamp_line
from tempo_cli.devices import set_threads
from tempo_cli.evaluation.runner import to_image
from tempo_cli.synth.base import Synthesizer
from tempo_cli.synth.neural import TempoSynthesizer
from tempo_cli.training.data.clips import load_sequence

SIZE = (256, 192)  # width, height
FRAMES = (0, 60, 120)  # frames of each held-out clip used as backgrounds
SPEEDS = {"pan": 16.0, "caption": 12.0}  # px per frame
MARGIN = 40  # px left out at each edge when scoring the pan
SURROUND = 48  # px around the caption scored as "around"
OFF_LEVELS = 32
TIMES = (-2, -1, 0, 1, 2)
CAPTION = "TEMPO 00:12"
AHEAD = (1, 2)


def backgrounds(videos: Path) -> list[np.ndarray]:
    """RGB float frames in [0, 1] of the held-out clips, FRAMES of each, at a 360-px short side."""
    images = []
    for name in HELD_OUT:
        frames = load_sequence(videos / name, 360, max(FRAMES) + 1)
        if len(frames) <= max(FRAMES):
            raise SystemExit(f"{name} has {len(frames)} frames; this benchmark takes frames {FRAMES} of it")
        images += [frames[i].astype(np.float32) / 255 for i in FRAMES]
    return images


def made_times(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The true frames at the times `predict` makes: -1, then AHEAD."""
    return [frames[TIMES.index(t)] for t in (-1, *AHEAD)]


def without_keep_still(synth: Synthesizer) -> Synthesizer:
    """The same TEMPO synthesizer with `keep_still` off."""
    assert isinstance(synth, TempoSynthesizer)
    synth.model.config = dataclasses.replace(synth.model.config, keep_still=False)
    return synth


def moving_frames(image: np.ndarray, velocity: np.ndarray, times: Sequence[int] = TIMES) -> list[np.ndarray]:
    """A SIZE crop from the centre of `image` moving by `velocity` px per frame, at each of `times`."""
    h, w = image.shape[:2]
    corner = np.array([(w - SIZE[0]) / 2, (h - SIZE[1]) / 2])
    frames = []
    for t in times:
        x, y = -(corner + velocity * t)
        matrix = np.float32([[1, 0, x], [0, 1, y]])
        frames.append(cv2.warpAffine(image, matrix, SIZE, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101))
    return [np.clip(f, 0, 1) for f in frames]


@cache
def caption_layers() -> tuple[np.ndarray, np.ndarray]:
    """The still caption as subtitles are drawn: white text (alpha, H x W in [0, 1]) in a black outline (alpha)."""
    text = np.zeros(SIZE[::-1], np.uint8)
    cv2.putText(text, CAPTION, (32, SIZE[1] - 24), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2, cv2.LINE_AA)
    outline = cv2.dilate(text, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))  # putText caps thickness at 2
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
    """The frame at -1 made from those at -2 and 0, and those at AHEAD from those at times up to 0, as [0, 1]
    floats."""

    def made(anchor_times: list[int], targets: tuple[int, ...]) -> list[np.ndarray]:
        anchors = [synth.prepare(to_image(frames[TIMES.index(t)])) for t in anchor_times]
        result = synth.synthesize(anchors, [float(t) for t in anchor_times], [float(t) for t in targets])
        return [f.astype(np.float32) / 255 for f in result.frames]

    return made([-2, 0], (-1,)) + made([t for t in TIMES if t <= 0], AHEAD)


def pan_psnr(predicted: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB of the interior, MARGIN px in from each edge."""
    inner = (slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    mse = float(np.mean((predicted[inner] - truth[inner]) ** 2))
    return 10 * np.log10(1 / max(mse, 1e-10))


@cache
def surround_mask() -> np.ndarray:
    """The pixels within SURROUND px of the caption, not on it (bool, H x W)."""
    caption = caption_mask()
    distance = cv2.distanceTransform((~caption).astype(np.uint8), cv2.DIST_L2, 5)
    return (distance > 0) & (distance <= SURROUND)


def surround_psnr(predicted: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB of the pixels around the caption (`surround_mask`)."""
    mse = float(np.mean((predicted - truth)[surround_mask()] ** 2))
    return 10 * np.log10(1 / max(mse, 1e-10))


def caption_off(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Share of the caption's pixels off by more than OFF_LEVELS levels in any channel."""
    error = np.abs(predicted - truth).max(axis=2) * 255
    return float(np.mean(error[caption_mask()] > OFF_LEVELS))


def score(synth: Synthesizer, images: list[np.ndarray], seed: int) -> dict[str, list[float]]:
    """Mean of each case's figure between, at +1 and at +2 over `images`, each moving in a direction drawn from
    `seed`."""
    rng = np.random.default_rng(seed)
    figures: dict[str, list[list[float]]] = {"pan": [], "caption": [], "around": [], "around, no caption": []}
    for image in images:
        angle = rng.uniform(0, 2 * np.pi)
        direction = np.array([np.cos(angle), np.sin(angle)])
        pan = moving_frames(image, SPEEDS["pan"] * direction)
        figures["pan"].append([pan_psnr(p, g) for p, g in zip(predict(synth, pan), made_times(pan), strict=True)])
        plain = moving_frames(image, SPEEDS["caption"] * direction)
        captioned = [with_caption(f) for f in plain]
        made = list(zip(predict(synth, captioned), made_times(captioned), strict=True))
        figures["caption"].append([caption_off(p, g) for p, g in made])
        figures["around"].append([surround_psnr(p, g) for p, g in made])
        unmarked = zip(predict(synth, plain), made_times(plain), strict=True)
        figures["around, no caption"].append([surround_psnr(p, g) for p, g in unmarked])
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
    paths: list[str | None] = [p for p in args.weights.split(",") if p] or [None]
    for path in paths:
        name = f"tempo {Path(path).name}" if path else "tempo (shipped)"
        methods[name] = load_model("tempo", path)
        methods[f"{name}, keep_still off"] = without_keep_still(load_model("tempo", path))
    for name, method in (("linear DIS flow", "flow"), ("nearest frame", "nearest")):
        synth = build(method)
        assert not isinstance(synth, str)
        methods[name] = synth
    data: dict[str, Any] = {**stamp(), "threads": args.threads, "seed": args.seed, "images": len(images)}
    data["methods"] = {name: score(synth, images, args.seed) for name, synth in methods.items()}
    rows = [
        [
            name,
            *(f"{v:.2f}" for v in s["pan"]),
            *(f"{v:.3f}" for v in s["caption"]),
            *(f"{a:.2f} / {b:.2f}" for a, b in zip(s["around"], s["around, no caption"], strict=True)),
        ]
        for name, s in data["methods"].items()
    ]
    when = ("between", "+1", "+2")
    header = [
        "method",
        *(f"pan {w} (dB)" for w in when),
        *(f"caption off {w}" for w in when),
        *(f"around {w} (dB, without)" for w in when),
    ]
    title = f"A pan and a caption made between frames and 2 ahead, {len(images)} held-out backgrounds"
    note = (
        f"Measured on {stamp_line(data)}. Pan: interior PSNR, higher is better; caption: share off, lower is better;"
        f" around: PSNR within {SURROUND} px of the caption, and of the same frames made without it."
    )
    publish(title, header, rows, note, data, args.json)


if __name__ == "__main__":
    main()
