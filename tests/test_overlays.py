"""Still overlays (`--keep-overlays`): a burnt-in caption is found over a run of frames, kept as it is in made frames,
and the picture around it follows the scene; still scenery, a still shot and a plain pan are left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tempo_cli.api import Interpolator, load_model
from tempo_cli.engine.overlays import ANALYSIS_SIDE, GROW, STILL_FRAMES, OverlayTracker
from tests.cli_helpers import run_cli
from tests.media import tilting

STEP = 6  # px per frame the picture moves under the caption


def caption_layers(shape: tuple[int, int], words: str = "TEMPO 12") -> tuple[np.ndarray, np.ndarray]:
    """White text and its black outline (bool, H x W) along the bottom of a frame, as subtitles are burnt in."""
    text = np.zeros(shape, np.uint8)
    cv2.putText(text, words, (12, shape[0] - 16), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    outline = cv2.dilate(text, np.ones((5, 5), np.uint8))
    return text > 127, outline > 0


def captioned(frames: list[np.ndarray], words: str = "TEMPO 12") -> list[np.ndarray]:
    """`frames` under a still caption."""
    text, outline = caption_layers(frames[0].shape[:2], words)
    peak = np.iinfo(frames[0].dtype).max
    out = []
    for frame in frames:
        frame = frame.copy()
        frame[outline] = 0
        frame[text] = peak
        out.append(frame)
    return out


def overlays(frames: list[np.ndarray]) -> list[np.ndarray | None]:
    tracker = OverlayTracker()
    return [tracker.add(f) for f in frames]


def around(mask: np.ndarray) -> np.ndarray:
    """The pixels within 24 px of `mask`, not on it."""
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
    return (distance > 0) & (distance <= 24)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_still_caption_over_a_moving_picture_is_found_once_still_for_a_run_of_frames(dtype: type) -> None:
    frames = captioned(tilting(STILL_FRAMES + 4, STEP, dtype))
    found = overlays(frames)
    assert found[:STILL_FRAMES] == [None] * STILL_FRAMES
    _, outline = caption_layers(frames[0].shape[:2])
    near = cv2.dilate(outline.astype(np.uint8), np.ones((2 * GROW + 3,) * 2, np.uint8)) > 0
    for mask in found[STILL_FRAMES:]:
        assert mask is not None
        assert np.count_nonzero(mask & outline) > 0.8 * np.count_nonzero(outline)
        assert not np.any(mask & ~near)


def test_a_caption_in_a_large_frame_is_found_at_its_size() -> None:
    """Large frames are searched scaled down to ANALYSIS_SIDE; the overlay comes back at the frame's size."""
    frames = captioned([np.ascontiguousarray(np.tile(f, (4, 4, 1))) for f in tilting(STILL_FRAMES + 4, STEP)])
    _, outline = caption_layers(frames[0].shape[:2])
    assert min(frames[0].shape[:2]) > ANALYSIS_SIDE
    mask = overlays(frames)[-1]
    assert mask is not None and mask.shape == outline.shape
    assert np.count_nonzero(mask & outline) > 0.9 * np.count_nonzero(outline)
    assert np.count_nonzero(mask & ~outline) < 0.1 * np.count_nonzero(outline)


def grainy(frames: list[np.ndarray], sigma: float) -> list[np.ndarray]:
    """`frames` (uint8) with fresh noise of `sigma` levels in each, as a camera's sensor and a codec leave."""
    rng = np.random.default_rng(0)
    return [np.clip(f + rng.normal(0, sigma, f.shape), 0, 255).round().astype(np.uint8) for f in frames]


def test_a_caption_is_found_through_grain() -> None:
    """Grain moves every pixel a little each frame; the caption's stay within it of their own mean over the run."""
    frames = grainy(captioned(tilting(STILL_FRAMES + 4, STEP)), 6)
    _, outline = caption_layers(frames[0].shape[:2])
    for mask in overlays(frames)[STILL_FRAMES:]:
        assert mask is not None
        assert np.count_nonzero(mask & outline) > 0.9 * np.count_nonzero(outline)


def flat_patch_in_a_pan(count: int, level: int) -> list[np.ndarray]:
    """A pan with a flat 16-px square of `level` that stays still: no detail of its own, as the inside of a moving
    outline, whose edges filling it in would smear."""
    frames = [f.copy() for f in tilting(count, STEP)]
    for frame in frames:
        frame[50:66, 70:86] = level
    return frames


def still_scenery_beside_a_pan(count: int) -> list[np.ndarray]:
    """The left half of a picture pans down; the right half, as detailed, stays still."""
    frames = tilting(count, STEP)
    return [np.concatenate([f[:, :80], frames[0][:, 80:]], axis=1) for f in frames]


@pytest.mark.parametrize(
    "frames",
    [
        pytest.param(tilting(STILL_FRAMES + 4, STEP), id="a pan"),
        pytest.param(captioned([tilting(1)[0]] * (STILL_FRAMES + 4)), id="a still shot with a caption"),
        pytest.param(still_scenery_beside_a_pan(STILL_FRAMES + 4), id="still scenery beside a pan"),
        pytest.param(grainy(still_scenery_beside_a_pan(STILL_FRAMES + 4), 6), id="grainy still scenery"),
        pytest.param(grainy(tilting(STILL_FRAMES + 4, STEP), 6), id="a grainy pan"),
        pytest.param(flat_patch_in_a_pan(STILL_FRAMES + 4, 0), id="a flat dark patch in a pan"),
        pytest.param(flat_patch_in_a_pan(STILL_FRAMES + 4, 255), id="a flat bright patch in a pan"),
    ],
)
def test_nothing_is_found_where_the_picture_does_not_move_under_still_detail(frames: list[np.ndarray]) -> None:
    assert overlays(frames) == [None] * len(frames)


def test_made_frames_keep_the_caption_and_follow_the_scene_around_it() -> None:
    """Frames made between every other frame of a captioned pan, against the frames left out (DIS flow, whose
    motion the still letters hold back as they do TEMPO's)."""
    frames = captioned(tilting(2 * STILL_FRAMES + 5, STEP))
    synth = Interpolator(load_model("flow"))
    plain = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=False)
    kept = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=True)
    assert all(np.array_equal(a, b) for a, b in zip(kept[::2], frames[::2], strict=True))  # sources untouched
    _, outline = caption_layers(frames[0].shape[:2])
    ring = around(outline)
    later = range(2 * STILL_FRAMES + 1, len(frames) - 1, 2)  # both anchors after the caption was found
    for i in later:
        assert np.array_equal(kept[i][outline], frames[i][outline])
        gain = cv2.PSNR(kept[i][ring], frames[i][ring]) - cv2.PSNR(plain[i][ring], frames[i][ring])
        assert gain > 3, f"frame {i}: the picture around the caption gained {gain:.2f} dB"


@pytest.mark.parametrize("name", ["flow", "tempo"])
def test_the_frame_made_as_a_caption_is_first_found_follows_the_scene_around_it(name: str) -> None:
    """The anchor before it shows the caption as well, not yet found there: it is filled in at the same pixels, so
    the synthesizer sees both anchors alike (with the caption in one only, it gained 1.2-1.3 dB there, not 8-10)."""
    frames = captioned(tilting(2 * STILL_FRAMES + 5, STEP))
    synth = Interpolator(load_model(name, device="cpu", precision="fp32"))
    plain = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=False)
    kept = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=True)
    _, outline = caption_layers(frames[0].shape[:2])
    ring = around(outline)
    first = 2 * STILL_FRAMES - 1  # between given frames STILL_FRAMES - 1 (not found yet) and STILL_FRAMES (found)
    assert np.array_equal(kept[first][outline], frames[first][outline])
    gain = cv2.PSNR(kept[first][ring], frames[first][ring]) - cv2.PSNR(plain[first][ring], frames[first][ring])
    assert gain > 3, f"the picture around the caption gained {gain:.2f} dB"


def test_a_new_subtitle_line_in_the_same_place_is_filled_in_alike_in_both_anchors() -> None:
    """Where a new line replaces the last, the pixels the two share stay found; the anchor before the new line is
    found still shows it, not yet found there, and is filled in where it shows the same pixels (it was not: -0.2 dB
    gained around the new line in the frame between, against 8 once found in both)."""
    plain = tilting(4 * STILL_FRAMES + 12, STEP)
    change = 2 * STILL_FRAMES + 6
    frames = [*captioned(plain[:change]), *captioned(plain[change:], "HELLO 34")]
    synth = Interpolator(load_model("flow"))
    off = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=False)
    kept = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=True)
    _, outline = caption_layers(frames[0].shape[:2], "HELLO 34")
    ring = around(outline)
    first = change + 2 * STILL_FRAMES - 1  # between the last given frame without the new line found and the first
    gain = cv2.PSNR(kept[first][ring], frames[first][ring]) - cv2.PSNR(off[first][ring], frames[first][ring])
    assert gain > 3, f"the picture around the new line gained {gain:.2f} dB"


@pytest.mark.parametrize("name", ["flow", "tempo"])
def test_without_an_overlay_keeping_them_changes_nothing(name: str) -> None:
    frames = tilting(STILL_FRAMES + 4, STEP)
    synth = Interpolator(load_model(name, device="cpu", precision="fp32"))
    plain = synth.interpolate_frames(frames, factor=2, keep_overlays=False)
    kept = synth.interpolate_frames(frames, factor=2, keep_overlays=True)
    assert all(np.array_equal(a, b) for a, b in zip(plain, kept, strict=True))


def test_a_cross_fade_is_made_as_it_is_without_a_search() -> None:
    """blend moves no pixel, so a still overlay cannot mislead it: nothing is searched for or taken back, and a new
    subtitle line fades in as the rest of the picture does (taken back, it would switch at once)."""
    plain = tilting(4 * STILL_FRAMES + 12, STEP)
    change = 2 * STILL_FRAMES + 6
    frames = [*captioned(plain[:change]), *captioned(plain[change:], "HELLO 34")]
    synth = Interpolator(load_model("blend"))
    off, kept = (synth.interpolate_frames(frames[::2], factor=4, keep_overlays=keep) for keep in (False, True))
    assert all(np.array_equal(a, b) for a, b in zip(off, kept, strict=True))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_extrapolation_keeps_the_caption_in_predicted_frames(dtype: type) -> None:
    frames = captioned(tilting(STILL_FRAMES + 4, STEP, dtype))
    synth = Interpolator(load_model("flow"))
    predicted = synth.extrapolate_frames(frames, ahead=2, anchors=3, keep_overlays=True)[-2:]
    _, outline = caption_layers(frames[0].shape[:2])
    for frame in predicted:
        assert np.array_equal(frame[outline], frames[-1][outline])


@pytest.mark.parametrize(("flag", "kept"), [([], True), (["--keep-overlays"], True), (["--no-keep-overlays"], False)])
def test_keep_overlays_from_the_command_line(tmp_path, flag: list[str], kept: bool) -> None:
    """On by default. PNG folder in and out: no loss, so the made frames' caption pixels show what was done."""
    frames = captioned(tilting(STILL_FRAMES + 4, STEP))
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    out = tmp_path / "out"
    command = ["interpolate", folder, "-o", f"{out}/", "--input-fps", "10", "--model", "flow", "-q", *flag]
    assert run_cli(command) == 0
    made = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(out.glob("*.png"))]
    assert len(made) == 2 * len(frames)
    _, outline = caption_layers(frames[0].shape[:2])
    last_made = made[-3]  # between the last two frames, both with the caption found
    assert np.array_equal(last_made[outline], frames[-1][outline]) == kept


def test_a_caption_that_ends_is_not_left_filled_in() -> None:
    """The frame after the last captioned one has none: the frames made between them show the caption or the
    picture under it, as one of the two does, never the filled-in blur."""
    plain = tilting(STILL_FRAMES + 4, STEP)
    frames = [*captioned(plain[:-1]), plain[-1]]
    made = Interpolator(load_model("flow")).interpolate_frames(frames, factor=4, keep_overlays=True)[-7:-4]
    _, outline = caption_layers(frames[0].shape[:2])
    for frame in made:
        assert any(np.array_equal(frame[outline], source[outline]) for source in frames[-2:])


def caption_until(frames: list[np.ndarray], end: int) -> list[np.ndarray]:
    """`frames` with the caption over those before `end` only."""
    return [*captioned(frames[:end]), *frames[end:]]


def test_four_anchors_take_back_only_the_overlays_of_the_two_around_each_frame() -> None:
    """Made frames after the caption ended had taken its place back from the nearest frame, as an outer anchor
    still showed it: a frozen piece of the scene (20 dB there)."""
    full = tilting(31, STEP)
    frames = caption_until(full, 24)
    _, outline = caption_layers(full[0].shape[:2])
    made = Interpolator(load_model("flow")).interpolate_frames(frames[::2], factor=2, anchors=4, keep_overlays=True)
    for i in (25, 27):  # both anchors around them, given frames 24 to 28, show no caption; the outer 22 does
        assert cv2.PSNR(made[i][outline], full[i][outline]) > 40


def test_predictions_after_a_caption_ends_do_not_freeze_its_place() -> None:
    full = tilting(16, STEP)
    frames = caption_until(full[:14], 13)  # gone in the last frame given
    _, outline = caption_layers(full[0].shape[:2])
    synth = Interpolator(load_model("flow"))
    plain, kept = (
        synth.extrapolate_frames(frames, ahead=2, anchors=3, keep_overlays=keep)[-2:] for keep in (False, True)
    )
    for made, off, truth in zip(kept, plain, full[14:], strict=True):
        assert not np.array_equal(made[outline], frames[-1][outline])
        assert cv2.PSNR(made[outline], truth[outline]) >= cv2.PSNR(off[outline], truth[outline])


def test_tiled_frames_keep_the_caption_as_whole_frames_do() -> None:
    frames = captioned(tilting(2 * STILL_FRAMES + 5, STEP))
    synth = Interpolator(load_model("tempo", device="cpu", precision="fp32"))
    whole = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=True)
    tiled = synth.interpolate_frames(frames[::2], factor=2, keep_overlays=True, tile=128, tile_overlap=64)
    _, outline = caption_layers(frames[0].shape[:2])
    for i in range(2 * STILL_FRAMES - 1, len(frames) - 1, 2):
        assert np.array_equal(tiled[i][outline], frames[i][outline])
        assert cv2.PSNR(tiled[i], whole[i]) >= 34.5  # the first: 35.2 dB with session 28's weights, 34.9 with 32's
