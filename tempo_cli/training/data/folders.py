"""Lazily read frame-folder datasets: Vimeo-90K triplet/septuplet lists and plain sequence folders."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from tempo_cli.errors import TempoError
from tempo_cli.training.data.sample import MAX_ANCHORS, Sample
from tempo_cli.video.imageseq import image_files

# The Vimeo-90K train lists and how many frames each of their sequences holds.
VIMEO_LISTS = {"tri_trainlist.txt": 3, "sep_trainlist.txt": 7}


def vimeo_folders(root: Path) -> tuple[list[Path], int] | None:
    """The sequence folders a Vimeo-90K train list in root names and the frames each holds, or None if root has
    no list."""
    for name, frames in VIMEO_LISTS.items():
        listing = root / name
        if listing.is_file():
            entries = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
            return [root / "sequences" / e for e in entries], frames
    return None


def read_image(path: Path) -> np.ndarray:
    """An image file as RGB uint8, or TempoError."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise TempoError(f"cannot read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_frames(files: Sequence[Path]) -> Iterator[np.ndarray]:
    """The frames of one sequence, in order; TempoError naming a file that cannot be read or whose size is not
    the first one's."""
    size = None
    for file in files:
        image = read_image(file)
        h, w = size = size or image.shape[:2]
        if image.shape[:2] != size:
            got = f"{image.shape[1]}x{image.shape[0]} px"
            raise TempoError(f"{file} is {got}, unlike the sequence's first frame {files[0].name} ({w}x{h} px)")
        yield image


def _window(anchors: int, extrapolate: bool) -> tuple[int, int]:
    """The gap between anchors (in frames) and how many frames past its first a window reaches."""
    gap = 1 if extrapolate else 2
    return gap, (anchors - 1) * gap + (1 if extrapolate else 0)


class FrameFolders:
    """Windows from folders of `frames` consecutive images each, read from disk only when drawn."""

    def __init__(self, folders: list[Path], crop: int, frames: int) -> None:
        self.folders = [f for f in folders if f.is_dir()]
        if not self.folders:
            raise TempoError("no sequence folder found")
        self.crop = crop
        fits = [n for n in range(2, MAX_ANCHORS + 1) if all(_window(n, e)[1] < frames for e in (False, True))]
        self.max_anchors = max(fits)  # a triplet holds no window of 3 anchors

    @staticmethod
    def _frames(folder: Path) -> list[Path]:
        return image_files(folder)

    def draw(self, rng: np.random.Generator, anchors: int, extrapolate: bool) -> Sample:
        """Anchors two frames apart with the one between as target, or the frame after them."""
        gap, span = _window(anchors, extrapolate)
        for _ in range(20):
            files = self._frames(self.folders[int(rng.integers(len(self.folders)))])
            if span < len(files):
                break
        else:
            raise TempoError(f"sequences have fewer frames than a window of {anchors} anchors")
        start = int(rng.integers(0, len(files) - span))
        idx = [start + i * gap for i in range(anchors)]
        target_rel = span if extrapolate else ((anchors - 2) // 2) * gap + 1
        images = list(read_frames([files[i] for i in [*idx, start + target_rel]]))
        h, w = images[0].shape[:2]
        if min(h, w) < self.crop:
            raise TempoError(f"frames of {files[0].parent} are smaller than the {self.crop} px crop")
        y, x = int(rng.integers(0, h - self.crop + 1)), int(rng.integers(0, w - self.crop + 1))
        crops = [np.ascontiguousarray(im[y : y + self.crop, x : x + self.crop]) for im in images]
        return Sample(crops[:-1], [float(i) for i in range(anchors)], crops[-1], target_rel / gap)
