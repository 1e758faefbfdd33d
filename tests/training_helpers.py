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


def with_data(args: list[str], spec: str) -> list[str]:
    """`args` training on `spec` instead of their own data."""
    out = list(args)
    out[out.index("--data") + 1] = spec
    return out


def make_vimeo_triplets(root: Path, count: int = 2, size: int = 96) -> Path:
    """A Vimeo-90K triplet root: tri_trainlist.txt naming sequences/00001/000N, each holding im1..im3.png."""
    entries = [f"00001/{i + 1:04d}" for i in range(count)]
    for entry in entries:
        folder = root / "sequences" / entry
        make_images(folder, count=3, size=size)
        for i in range(3):
            (folder / f"img{i}.png").rename(folder / f"im{i + 1}.png")
    (root / "tri_trainlist.txt").write_text("\n".join(entries) + "\n")
    return root
