"""Real footage: frames of video files and frame folders held in memory at reduced size."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tempo_cli.errors import TempoError
from tempo_cli.training.data.folders import read_frames
from tempo_cli.training.data.sample import MAX_AHEAD, MAX_ANCHORS, Sample
from tempo_cli.video.imageseq import image_files, is_frame_folder
from tempo_cli.video.paths import VIDEO_SUFFIXES
from tempo_cli.video.reader import Warn, iter_video_frames

# Short side, in pixels, at which training clips are held in memory unless a run asks otherwise.
CLIP_SHORT_SIDE = 320
# How many of each clip's first frames are held, unless a run asks otherwise.
CLIP_MAX_FRAMES = 160
# The fewest frames a clip needs for every window a batch may ask for (4 anchors 2 frames apart).
MIN_CLIP_FRAMES = 7


def _resize_short(frame: np.ndarray, short: int) -> np.ndarray:
    h, w = frame.shape[:2]
    s = short / min(h, w)
    if s >= 1:
        return frame
    return cv2.resize(frame, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def load_sequence(path: Path, short_side: int, max_frames: int) -> list[np.ndarray]:
    """Consecutive RGB uint8 frames of a video file or a folder of images."""
    if path.is_dir():
        files = image_files(path)[:max_frames]
        return [_resize_short(image, short_side) for image in read_frames(files)]
    frames = []
    for frame in iter_video_frames(path):
        frames.append(_resize_short(frame, short_side))
        if len(frames) >= max_frames:
            break
    return frames


def find_sequences(root: Path) -> list[Path]:
    """Video files and frame folders under root (a single file or frame folder is itself)."""
    if root.is_file() or is_frame_folder(root):
        return [root]
    found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    return found + sorted(d for d in root.rglob("*") if d.is_dir() and is_frame_folder(d))


class ClipFrames:
    """Random windows of real frames: N anchors a gap apart, the held-back frame is the target.

    A sequence that cannot be read or is too short is left out, with a line to `warn` naming it and why; if none
    is usable, TempoError.
    """

    max_anchors = MAX_ANCHORS  # every sequence held has MIN_CLIP_FRAMES frames or more

    def __init__(
        self,
        paths: list[Path],
        crop: int,
        short_side: int = CLIP_SHORT_SIDE,
        max_frames: int = CLIP_MAX_FRAMES,
        min_frames: int = MIN_CLIP_FRAMES,
        max_ahead: int = MAX_AHEAD,
        warn: Warn | None = None,
    ) -> None:
        self.crop = crop
        self.max_ahead = max_ahead
        self.sequences: list[list[np.ndarray]] = []
        self.names: list[str] = []
        needed = f"at least {min_frames} frames of {crop} px on the short side"
        reasons: list[str] = []
        for path in paths:
            try:
                frames = load_sequence(path, short_side, max_frames)
            except TempoError as exc:
                reasons.append(str(exc))
                continue
            if len(frames) >= min_frames and min(frames[0].shape[:2]) >= crop:
                self.sequences.append(frames)
                self.names.append(path.name)
            else:
                size = "x".join(map(str, frames[0].shape[1::-1])) if frames else "no"
                reasons.append(f"{path} has {len(frames)} frames of {size} px at this scale (needs {needed})")
        if not self.sequences:
            count = f"{len(paths)} path" + ("" if len(paths) == 1 else "s")
            raise TempoError(f"no usable sequence among {count}: {reasons[0] if reasons else 'none given'}")
        if warn is not None:
            for reason in reasons:
                warn(f"{reason}; skipped")

    def _frames_ahead(self, rng: np.random.Generator) -> int:
        """Half the time the next frame, else 2 to `max_ahead` frames past the last anchor."""
        if self.max_ahead < 2 or rng.random() < 0.5:
            return 1
        return int(rng.integers(2, self.max_ahead + 1))

    def draw(self, rng: np.random.Generator, anchors: int, extrapolate: bool) -> Sample:
        """A window of anchors and a target frame inside (interpolation) or after it (extrapolation)."""
        for _ in range(20):
            frames = self.sequences[int(rng.integers(len(self.sequences)))]
            if extrapolate:
                gap = int(rng.choice([1, 1, 2]))
                ahead = self._frames_ahead(rng) if gap == 1 else 1
                span = (anchors - 1) * gap + ahead
                target_rel = (anchors - 1) * gap + ahead
            else:
                gap = int(rng.choice([2, 2, 3, 4]))
                span = (anchors - 1) * gap
                target_rel = ((anchors - 2) // 2) * gap + int(rng.integers(1, gap))
            if span < len(frames):
                break
        else:
            raise TempoError("sequences are too short for the requested window")
        start = int(rng.integers(0, len(frames) - span))
        idx = [start + i * gap for i in range(anchors)]
        crop_src = int(self.crop * rng.uniform(1.0, min(2.0, min(frames[0].shape[:2]) / self.crop)))
        h, w = frames[0].shape[:2]
        y, x = int(rng.integers(0, h - crop_src + 1)), int(rng.integers(0, w - crop_src + 1))

        def cut(frame: np.ndarray) -> np.ndarray:
            patch = frame[y : y + crop_src, x : x + crop_src]
            if crop_src == self.crop:
                return np.ascontiguousarray(patch)
            return cv2.resize(patch, (self.crop, self.crop), interpolation=cv2.INTER_AREA)

        return Sample(
            anchors=[cut(frames[i]) for i in idx],
            anchor_times=[float(i) for i in range(anchors)],
            target=cut(frames[start + target_rel]),
            target_time=target_rel / gap,
        )
