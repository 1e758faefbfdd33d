"""Duplicated source frames: found despite codec noise, left out, their times synthesized, freezes kept."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest

from tempo_cli.api import Interpolator, RunOptions, load_model
from tempo_cli.engine.duplicates import DEFAULT_THRESHOLD, block_change, drop_duplicates
from tempo_cli.engine.planner import PlanConfig
from tempo_cli.engine.runner import EngineConfig
from tempo_cli.errors import TempoError
from tests.cli_helpers import frames_and_times, run_cli
from tests.media import make_clip, scene_image


@dataclass(frozen=True)
class Frame:
    index: int
    image: np.ndarray


def frames_of(pictures: list[int], size: tuple[int, int] = (64, 48)) -> list[Frame]:
    """Frame i shows picture `pictures[i]` of the test scene (a repeated number is a copy)."""
    return [Frame(i, scene_image(p, size)) for i, p in enumerate(pictures)]


@pytest.mark.parametrize("size", [(640, 480), (3840, 2160)])
@pytest.mark.parametrize("high_depth", [False, True])
def test_a_reencoded_copy_is_a_duplicate_and_a_small_moving_object_is_not(size, high_depth):
    rng = np.random.default_rng(0)
    picture = scene_image(3, size, high_depth=high_depth)
    top = 65535 if high_depth else 255
    noise = rng.integers(-3, 4, picture.shape) * (257 if high_depth else 1)  # up to 3 levels of 8 bits
    noisy = np.clip(picture.astype(np.int32) + noise, 0, top).astype(picture.dtype)
    assert block_change(picture, noisy) <= DEFAULT_THRESHOLD
    moved = picture.copy()
    moved[200:224, 300:324] = top - moved[200:224, 300:324]  # a 24-px object: 0.2% of 640x480, 0.007% of 4K
    assert block_change(picture, moved) > DEFAULT_THRESHOLD
    assert block_change(picture, scene_image(4, size, high_depth=high_depth)) > DEFAULT_THRESHOLD


def test_copies_are_dropped_but_a_freeze_and_the_copies_at_the_end_are_kept():
    pictures = [0, 1, 1, 2, 3, 3, 3, 4, 5, 5, 5, 5, 6, 7, 7]
    dropped: list[int] = []
    kept = [f.index for f in drop_duplicates(frames_of(pictures), on_drop=lambda f: dropped.append(f.index))]
    assert dropped == [2, 5, 6]  # one copy of 1, two of 3
    assert kept == [0, 1, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14]  # 5 held for 4 frames is a freeze; 7 ends the clip


def test_nothing_is_dropped_from_a_clip_without_copies():
    frames = frames_of(list(range(8)))
    assert [f.index for f in drop_duplicates(frames)] == list(range(8))


def test_the_frames_at_copies_are_synthesized_between_the_distinct_pictures():
    from tempo_cli.api import Interpolator, load_model

    frames = [np.full((32, 48, 3), v, np.uint8) for v in (0, 100, 100, 200)]
    blend = Interpolator(load_model("blend"))
    copied = blend.interpolate_frames(frames, factor=2)
    assert [int(f[0, 0, 0]) for f in copied] == [0, 50, 100, 100, 100, 150, 200, 200]
    deduped = blend.interpolate_frames(frames, factor=2, duplicate_threshold=DEFAULT_THRESHOLD)
    assert [int(f[0, 0, 0]) for f in deduped] == [0, 50, 100, 125, 150, 175, 200, 200]


def test_a_copy_before_a_cut_holds_the_old_shot_until_the_cut():
    from tempo_cli.api import Interpolator, load_model

    pictures = [0, 1, 2, 2, 10, 11, 12]  # picture 2 is held for two frames, then a new shot starts at 10
    frames = [scene_image(p, (96, 64), cut_at=10) for p in pictures]
    interpolator = Interpolator(load_model("blend"))
    out = interpolator.interpolate_frames(frames, factor=2, cut_threshold=27.0, duplicate_threshold=DEFAULT_THRESHOLD)
    assert len(out) == 14
    assert np.array_equal(out[6], frames[3]) and np.array_equal(out[7], frames[3])  # the old shot up to the cut
    assert np.array_equal(out[8], frames[4])  # the new shot from its first frame


def test_a_freeze_stays_still():
    from tempo_cli.api import Interpolator, load_model

    frames = [np.full((32, 48, 3), v, np.uint8) for v in (0, 100, 100, 100, 100, 200)]
    out = Interpolator(load_model("blend")).interpolate_frames(frames, factor=2, duplicate_threshold=DEFAULT_THRESHOLD)
    assert [int(f[0, 0, 0]) for f in out] == [0, 50, *[100] * 7, 150, 200, 200]


def test_causal_mode_cannot_drop_duplicates():
    causal = PlanConfig(rate=Fraction(48), period=Fraction(1, 24), causal=True)
    with pytest.raises(TempoError, match="causal"):
        EngineConfig(causal, duplicate_threshold=DEFAULT_THRESHOLD)


def test_dedup_on_a_video_keeps_every_timestamp_and_synthesizes_the_copies(tmp_path, capsys):
    pictures = [0, 2, 2, 4, 6, 6, 8, 10]  # the scene at twice its speed, pictures 2 and 6 shown twice
    src = make_clip(tmp_path / "in.mkv", pictures=pictures, codec="ffv1", pix_fmt="yuv444p", size=(96, 64))
    dst = tmp_path / "out.mkv"
    assert run_cli(["interpolate", str(src), "-o", str(dst), "--model", "flow", "--dedup", "--lossless"]) == 0
    assert "2 duplicated frames synthesized anew" in capsys.readouterr().err
    frames, times = frames_and_times(dst)
    assert len(times) == 16  # Matroska keeps milliseconds
    assert all(abs(t - Fraction(j, 48)) <= Fraction(1, 1000) for j, t in enumerate(times))
    at_copy = frames[4].astype(np.float32)  # the time of source frame 2, a copy of picture 2: halfway from 2 to 4

    def error(picture: float) -> float:
        return float(np.abs(at_copy - scene_image(picture, (96, 64))).mean())

    assert error(3) < 0.5 * min(error(2), error(4))


def test_extrapolating_at_the_source_rate_still_makes_the_dropped_copies_anew(tmp_path):
    """Extrapolation at the source's rate leaves the gaps of a variable-rate source alone, but not those that
    dropping duplicates makes: the copies' times had come out empty (9 frames for 10 in and 1 ahead)."""
    src = make_clip(tmp_path / "in.mkv", pictures=[0, 2, 4, 4, 4, 10, 12, 14, 16, 18], codec="ffv1", size=(96, 64))
    options = RunOptions(factor=None, ahead=1, duplicate_threshold=DEFAULT_THRESHOLD)
    summary = Interpolator(load_model("flow")).interpolate_video(src, tmp_path / "out.mkv", options)
    assert summary.duplicates == 2
    assert len(frames_and_times(tmp_path / "out.mkv")[0]) == 11
