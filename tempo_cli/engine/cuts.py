"""Streaming scene-cut detection with PySceneDetect's ContentDetector on downscaled frames, each cut it reports
checked against camera motion, and jump cuts: a change that stands out from the frames before it."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
from scenedetect import ContentDetector, FrameTimecode
from scenedetect.detector import FlashFilter

from tempo_cli.errors import TempoError
from tempo_cli.motion import dis_flow, to_gray_u8, warp_image

MAX_THRESHOLD = 255.0  # ContentDetector's score is a mean change of 8-bit HSV and edges
# A reported cut is camera motion, not a new shot, where moving the old frame along DIS flow (at the detector's
# 256-px width) leaves less than this share of its squared difference from the new one. On the shared clips the
# "cuts" of fast handheld footage (56, cotracker_pillow and _teddy among them, checked by eye) leave at most 0.18;
# the first frames of 120 random pairs of different clips, true cuts, leave at least 0.44, as bright or at a quarter
# of their brightness (an absolute PSNR limit had let dark cuts through as motion).
MOTION_SHARE = 0.3
# A jump cut (the same set-up, the subject elsewhere) changes less than a new shot: ContentDetector's score is
# often 10-40 against its threshold of 27. It is a cut where the score is at least JUMP_OF_THRESHOLD of the
# threshold and JUMP_RATIO times the mean of the last JUMP_WINDOW changes of at least JUMP_FLOOR (a held frame
# changes nothing and does not count: animation on twos, a low rate in a faster file; before the first such change
# nothing is a jump), and the old frame, matched to the new one's brightness and moved along DIS flow, leaves at
# least JUMP_MOTION_SHARE of the difference (a flash or a light coming on is no cut). `python -m benchmarks.jump_cuts`
# measures it on the shared clips.
JUMP_OF_THRESHOLD = 0.45
JUMP_RATIO = 3.0
JUMP_WINDOW = 5
JUMP_FLOOR = 0.5
JUMP_MOTION_SHARE = 0.15


class _ScoringContentDetector(ContentDetector):
    """ContentDetector that tells the score of the last frame it saw (as PySceneDetect's AdaptiveDetector reads it)."""

    @property
    def last_score(self) -> float:
        return self._frame_score or 0.0


class SceneCutDetector:
    """Says, frame by frame, whether a new shot starts at that frame."""

    def __init__(
        self, threshold: float = 27.0, fps: float = 30.0, width: int = 256, jump_ratio: float | None = JUMP_RATIO
    ) -> None:
        """`jump_ratio`: how far a jump cut's score stands out from the frames before it (None: no jump cuts)."""
        if not 0 < threshold <= MAX_THRESHOLD:
            raise TempoError(f"the scene-cut threshold must be in (0, {MAX_THRESHOLD:g}], got {threshold}")
        self._detector = _ScoringContentDetector(
            threshold=threshold, min_scene_len=1, filter_mode=FlashFilter.Mode.SUPPRESS
        )
        self._jump_score = JUMP_OF_THRESHOLD * threshold
        self._jump_ratio = jump_ratio
        self._fps = fps
        self._width = width
        self._previous: np.ndarray | None = None
        self._recent: deque[float] = deque(maxlen=JUMP_WINDOW)  # the last changes of at least JUMP_FLOOR

    def __call__(self, index: int, image: np.ndarray) -> bool:
        """True if `image` (RGB, uint8 or uint16) begins a new shot; frames must come in order."""
        if image.dtype != np.uint8:
            image = (image >> 8).astype(np.uint8)
        h, w = image.shape[:2]
        if w > self._width:
            # Bilinear, as PySceneDetect downscales by default: 8x faster than an area average at 720p.
            image = cv2.resize(image, (self._width, max(1, round(h * self._width / w))), interpolation=cv2.INTER_LINEAR)
        bgr = np.ascontiguousarray(image[..., ::-1])
        cuts = self._detector.process_frame(FrameTimecode(index, fps=self._fps), bgr)
        previous, self._previous = self._previous, image
        if previous is None:
            return False
        score = self._detector.last_score
        ratio = self._jump_ratio
        usual = sum(self._recent) / len(self._recent) if self._recent else None
        jump = ratio is not None and usual is not None and score >= max(self._jump_score, ratio * usual)
        if score >= JUMP_FLOOR:
            self._recent.append(score)
        reported = any(c.frame_num == index for c in cuts)
        if reported and change_left_by_motion(previous, image) >= MOTION_SHARE:
            return True
        return jump and change_left_by_motion(previous, image, match_gain=True) >= JUMP_MOTION_SHARE


def change_left_by_motion(before: np.ndarray, after: np.ndarray, match_gain: bool = False) -> float:
    """The share of the squared difference between `before` and `after` (8-bit RGB) that is left once `before` is
    moved along DIS flow onto `after`: near 0 where one is the other in motion, near 1 for unrelated pictures, and
    the same at any brightness or contrast. With `match_gain`, `before` is first scaled per channel to `after`'s mean
    brightness (a flash, a light coming on), and the share is still of the difference between the two as they are."""
    source = before
    if match_gain:
        gain = after.reshape(-1, 3).mean(axis=0) / np.maximum(before.reshape(-1, 3).mean(axis=0), 1.0)
        source = np.clip(before * gain, 0, 255).astype(np.uint8)
    moved = warp_image(source, dis_flow(to_gray_u8(after), to_gray_u8(source), "medium"))
    target = after.astype(np.float32)
    left = float(np.mean((moved.astype(np.float32) - target) ** 2))
    return left / max(float(np.mean((before.astype(np.float32) - target) ** 2)), 1e-6)
