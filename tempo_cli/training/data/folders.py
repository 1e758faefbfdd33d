"""Lazily read frame-folder datasets: Vimeo-90K triplet/septuplet lists and plain sequence folders."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tempo_cli.errors import TempoError
from tempo_cli.training.data.sample import Sample
from tempo_cli.training.data.synthetic import IMAGE_SUFFIXES

VIMEO_LISTS = ("tri_trainlist.txt", "sep_trainlist.txt")


def vimeo_folders(root: Path) -> list[Path] | None:
    """Sequence folders named by a Vimeo-90K train list in root, or None if root has no list."""
    for name in VIMEO_LISTS:
        listing = root / name
        if listing.is_file():
            entries = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
            return [root / "sequences" / e for e in entries]
    return None


class FrameFolders:
    """Windows from folders of consecutive images, read from disk only when drawn."""

    def __init__(self, folders: list[Path], crop: int) -> None:
        self.folders = [f for f in folders if f.is_dir()]
        if not self.folders:
            raise TempoError("no sequence folder found")
        self.crop = crop

    @staticmethod
    def _frames(folder: Path) -> list[Path]:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)

    def draw(self, rng: np.random.Generator, anchors: int, extrapolate: bool) -> Sample:
        """Anchors two frames apart with the one between as target, or the frame after them."""
        for _ in range(20):
            files = self._frames(self.folders[int(rng.integers(len(self.folders)))])
            gap = 1 if extrapolate else 2
            span = (anchors - 1) * gap + (1 if extrapolate else 0)
            if span < len(files):
                break
        else:
            raise TempoError(f"sequences have fewer frames than a window of {anchors} anchors")
        start = int(rng.integers(0, len(files) - span))
        idx = [start + i * gap for i in range(anchors)]
        target_rel = span if extrapolate else ((anchors - 2) // 2) * gap + 1
        images = [self._read(files[i]) for i in [*idx, start + target_rel]]
        h, w = images[0].shape[:2]
        if min(h, w) < self.crop:
            raise TempoError(f"frames of {files[0].parent} are smaller than the {self.crop} px crop")
        y, x = int(rng.integers(0, h - self.crop + 1)), int(rng.integers(0, w - self.crop + 1))
        crops = [np.ascontiguousarray(im[y : y + self.crop, x : x + self.crop]) for im in images]
        return Sample(crops[:-1], [float(i) for i in range(anchors)], crops[-1], target_rel / gap)

    @staticmethod
    def _read(path: Path) -> np.ndarray:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise TempoError(f"cannot read image {path}")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
