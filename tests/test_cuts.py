"""Scene-cut detection: a new shot is a cut, a camera moving fast is not."""

from __future__ import annotations

import cv2
import numpy as np

from tempo_cli.engine.cuts import SceneCutDetector
from tests.media import scene_image


def contrasty_texture(width: int) -> np.ndarray:
    """A 160-px-high strip of seeded, blurred, high-contrast RGB noise."""
    rng = np.random.default_rng(0)
    noise = cv2.GaussianBlur((rng.random((160, width, 3)) * 255).astype(np.float32), (0, 0), 2.0)
    return np.clip((noise - noise.mean()) * 4 + 128, 0, 255).astype(np.uint8)


def cuts_in(frames: list[np.ndarray]) -> list[int]:
    detector = SceneCutDetector(27.0, 25.0)
    return [i for i, frame in enumerate(frames) if detector(i, frame)]


def test_a_fast_pan_over_a_busy_picture_is_not_a_cut() -> None:
    """ContentDetector called every frame of this pan (8 px a frame) a new shot, as it did 22 of 147 frames of a
    handheld clip: the frames were repeated instead of made. The old frame moved along the flow matches the new."""
    texture = contrasty_texture(400)
    assert cuts_in([np.ascontiguousarray(texture[:, 8 * i : 8 * i + 256]) for i in range(12)]) == []


def test_a_new_shot_is_still_a_cut() -> None:
    frames = [scene_image(i, (256, 160), cut_at=6) for i in range(12)]
    assert cuts_in(frames) == [6]


def test_a_new_shot_in_dark_footage_is_still_a_cut() -> None:
    """An absolute PSNR limit on the motion-compensated match let a cut between two dim shots through as motion
    (at a fifth of full brightness every difference is a fifth as large)."""
    texture = contrasty_texture(600)
    shots = [texture[:, :256], texture[::-1, 300:556]]
    frames = [np.ascontiguousarray(shots[i >= 6] // 5 + 10) for i in range(12)]
    assert cuts_in(frames) == [6]


def subject_over(background: np.ndarray, xs: list[int], size: tuple[int, int]) -> list[np.ndarray]:
    """Frames of a still `background` with a `size` (height, width) block of another picture at each of `xs`, with
    noise."""
    h, w = size
    subject = contrasty_texture(w)[:h, ::-1] // 2 + 100
    frames = []
    for x in xs:
        frame = background.copy()
        frame[16 : 16 + h, x : x + w] = subject
        frames.append(noisy(frame, len(frames)))
    return frames


def noisy(frame: np.ndarray, seed: int) -> np.ndarray:
    """`frame` with +-2 levels of noise, as an encoder leaves in a still picture."""
    noise = np.random.default_rng(seed).integers(-2, 3, frame.shape)
    return np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def test_a_jump_cut_is_a_cut_and_a_subject_starting_to_move_fast_is_not() -> None:
    """A jump cut changes less than ContentDetector's threshold asks of a new shot (24 here, against 27); it stands
    out from the still frames before it, and no motion of the old frame explains it. A bigger subject that starts
    moving 24 px a frame stands out as much (18, where nothing changed before), but the flow explains it."""
    background = contrasty_texture(256) // 3 + 60
    jump = subject_over(background, [16] * 6 + [144] * 6, (96, 96))
    assert cuts_in(jump) == [6]
    detector = SceneCutDetector(27.0, 25.0, jump_ratio=None)
    assert [i for i, frame in enumerate(jump) if detector(i, frame)] == []  # what ContentDetector alone misses
    starts = subject_over(background, [8] * 6 + [8 + 24 * i for i in range(1, 6)], (128, 112))
    assert cuts_in(starts) == []


def test_held_frames_and_a_change_of_light_are_no_jump_cuts() -> None:
    """Each drawing held for 3 frames (animation, a low rate in a faster file): every new drawing had stood out from
    the still frames before it. A flash and a light coming on change the brightness, which no motion explains."""
    texture = contrasty_texture(400)
    rng = np.random.default_rng(1)

    def drawing() -> np.ndarray:
        """Blocks of the texture, each moved up to 4 px its own way: a busy scene."""
        frame = np.empty((128, 256, 3), np.uint8)
        for y in range(0, 128, 32):
            for x in range(0, 256, 32):
                dx, dy = rng.integers(-4, 5, 2)
                frame[y : y + 32, x : x + 32] = texture[y + dy + 16 : y + dy + 48, 100 + x + dx : 100 + x + dx + 32]
        return frame

    assert cuts_in([frame for frame in (drawing() for _ in range(10)) for _ in range(3)]) == []
    still = contrasty_texture(256) // 2 + 40
    bright = np.clip(still * 1.3, 0, 255).astype(np.uint8)
    flash = [noisy(bright if i == 6 else still, i) for i in range(12)]
    lights = [noisy(bright if i >= 6 else still, i) for i in range(12)]
    assert cuts_in(flash) == [] and cuts_in(lights) == []
