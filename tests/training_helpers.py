"""Small training inputs made on the fly: natural-looking images and a tiny video."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def make_images(folder: Path, count: int = 4, size: int = 96) -> Path:
    """Smooth random colour fields with edges, as PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        low = rng.uniform(0, 255, (6, 6, 3)).astype(np.float32)
        img = cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC)
        cv2.rectangle(img, (10 + i, 20), (50, 70 - i), (255, 255, 255), -1)
        cv2.imwrite(str(folder / f"img{i}.png"), np.clip(img, 0, 255).astype(np.uint8))
    return folder


def tiny_train_args(tmp: Path, steps: int = 3) -> list[str]:
    """`tempo train` arguments for a few fast steps on synthetic data."""
    images = make_images(tmp / "images")
    return [
        "train",
        "--data",
        "synthetic:1",
        "--images",
        str(images),
        "--out",
        str(tmp / "run"),
        "--steps",
        str(steps),
        "--batch-size",
        "2",
        "--set",
        "crop=48",
        "--set",
        "val_every=2",
        "--set",
        "ckpt_every=2",
        "--set",
        "val_samples=2",
        "--set",
        "workers=0",
        "--set",
        "log_every=1",
        "--set",
        "warmup=1",
        "--threads",
        "1",
    ]
