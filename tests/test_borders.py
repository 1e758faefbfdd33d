"""Letterbox and pillarbox bars stay as they are in made frames; nothing else is taken for a bar."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tempo_cli.api import Interpolator, load_model
from tempo_cli.engine.borders import Borders, find_borders
from tests.media import tilting

BAR = 24


def letterboxed(frames: list[np.ndarray], top: int = BAR, bottom: int = BAR) -> list[np.ndarray]:
    """The frames with black bars over their top and bottom rows, a level of encoder noise in them."""
    rng = np.random.default_rng(2)
    out = []
    for frame in frames:
        frame = frame.copy()
        scale = 257 if frame.dtype == np.uint16 else 1
        for rows in (slice(0, top), slice(frame.shape[0] - bottom, None)):
            noise = rng.integers(0, 3, frame[rows].shape) * scale
            frame[rows] = (16 * scale + noise).astype(frame.dtype)
        out.append(frame)
    return out


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_bars_are_found_on_every_side(dtype: type) -> None:
    frames = letterboxed(tilting(3, dtype=dtype), top=BAR, bottom=BAR - 3)
    assert find_borders(frames) == Borders(top=BAR, bottom=BAR - 3)
    pillarboxed = [np.ascontiguousarray(f.transpose(1, 0, 2)) for f in frames]
    assert find_borders(pillarboxed) == Borders(left=BAR, right=BAR - 3)
    assert not find_borders(letterboxed(tilting(3, dtype=dtype), top=BAR, bottom=10))  # dark at one edge: picture


def test_a_flat_sky_a_dark_frame_and_a_dark_edge_something_crosses_are_no_bars() -> None:
    frames = tilting(3)
    sky = [f.copy() for f in frames]
    for f in sky:
        f[:BAR] = 200
    assert not find_borders(sky)
    assert not find_borders([np.full_like(f, 12) for f in frames])
    crossed = letterboxed(frames)
    crossed[1][5:9, 40:60] = 180  # something bright passes through the top bar in one anchor
    assert not find_borders(crossed)  # the bottom one alone is no letterbox


def test_dark_picture_moving_toward_an_edge_is_no_bar_and_is_predicted_into_it() -> None:
    """A textured block moving 8 px a frame over black toward the left edge: the black at that edge looked like a
    bar that shrinks, and frames predicted ahead had the block cut off where it began."""
    rng = np.random.default_rng(3)
    block = cv2.GaussianBlur(rng.random((32, 40, 3)).astype(np.float32), (0, 0), 1.0)
    block = np.rint(80 + 175 * (block - block.min()) / np.ptp(block)).astype(np.uint8)
    frames = []
    for t in range(6):
        frame = np.full((64, 96, 3), 12, np.uint8)
        x = 56 - 8 * t
        frame[16:48, x : x + 40] = block
        frames.append(frame)
    borders = find_borders(frames[:4])
    assert (borders.left, borders.right) == (0, 0)  # the black above and below the block, held still, are bars
    predicted = Interpolator(load_model("flow")).extrapolate_frames(frames[:4], ahead=2, anchors=3)[-2:]
    for made, truth in zip(predicted, frames[4:], strict=True):
        assert np.count_nonzero(made.max(axis=2) > 60) > 0.8 * np.count_nonzero(truth.max(axis=2) > 60)


@pytest.mark.parametrize("name", ["flow", "tempo"])
def test_made_frames_keep_the_bars_of_a_tilting_letterboxed_picture(name: str) -> None:
    """The picture moves down under a top bar: warped, it lit up the bars by up to 72 levels between two frames."""
    frames = letterboxed(tilting(6))
    synth = load_model(name, device="cpu", precision="fp32")
    interpolated = Interpolator(synth).interpolate_frames(frames[:3], factor=4)
    extrapolated = Interpolator(synth).extrapolate_frames(frames[:4], ahead=2, anchors=3)
    made = interpolated[1:4] + interpolated[5:8] + extrapolated[-2:]
    bars = np.r_[0:BAR, 128 - BAR : 128]
    for frame in made:
        assert any(np.array_equal(frame[bars], anchor[bars]) for anchor in frames[:4])
    picture = slice(BAR + 20, -BAR)  # below the rows the tilt brings in from under the top bar
    truth = frames[4][picture]
    assert cv2.PSNR(extrapolated[-2][picture], truth) > cv2.PSNR(frames[3][picture], truth) + 3  # it still moves
