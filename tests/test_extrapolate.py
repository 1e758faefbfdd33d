"""`tempo extrapolate`: frames after the end, before the start, and causal frame-rate raising."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pytest

from tempo_cli.api import load_model
from tempo_cli.engine.planner import PlanConfig
from tempo_cli.engine.runner import Engine, EngineConfig
from tempo_cli.video.imageseq import ImageSequenceWriter
from tempo_cli.video.reader import SourceFrame, VideoError
from tempo_cli.video.writer import VideoWriter
from tests.cli_helpers import frames_and_times, run_cli, stream_seconds, stream_span
from tests.media import delay_all_streams, make_clip, scene_image


def test_ahead_and_behind_add_frames_at_the_source_interval_with_padded_audio(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=10, fps=Fraction(25))
    out = tmp_path / "out.mp4"
    args = ["--ahead", "3", "--behind", "2", "--model", "flow", "--crf", "0", "-q"]
    assert run_cli(["extrapolate", src, "-o", out, *args]) == 0
    frames, times = frames_and_times(out)
    assert len(frames) == 15
    assert times == [Fraction(i, 25) for i in range(15)]
    source, _ = frames_and_times(src)
    assert all(np.array_equal(a, b) for a, b in zip(frames[2:12], source, strict=True))
    assert stream_seconds(out, "audio") == pytest.approx(15 / 25, abs=0.03)


@pytest.mark.parametrize("behind", [0, 2])
def test_sound_from_before_the_first_picture_is_kept(tmp_path, behind):
    """Audio is re-encoded to be padded, and that path dropped the sound before the first picture (which
    `interpolate` copies): a clip whose sound starts 0.5 s early lost that half second."""
    clip = make_clip(tmp_path / "clip.mkv", frames=12, fps=Fraction(24))
    src = delay_all_streams(clip, tmp_path / "early_sound.mkv", Fraction(1, 2), audio_seconds=Fraction(0))
    out = tmp_path / "out.mkv"
    args = ["--ahead", "2", "--model", "flow", "-q", *(["--behind", str(behind)] if behind else [])]
    assert run_cli(["extrapolate", src, "-o", out, *args]) == 0
    (picture_start, _), (sound_start, sound_end) = stream_span(out, "video"), stream_span(out, "audio")
    assert picture_start - sound_start == pytest.approx(0.5 - behind / 24, abs=0.03)
    assert sound_end - picture_start == pytest.approx((12 + 2 + behind) / 24, abs=0.03)


def test_an_audio_track_without_sound_is_silence_from_the_first_picture(tmp_path):
    """A clip whose streams start at 5 s and whose audio track holds no packets: the silence made for it started
    5 s before the picture once sound from before the picture was kept."""
    clip = make_clip(tmp_path / "clip.mkv", frames=12, fps=Fraction(24))
    src = delay_all_streams(clip, tmp_path / "late_and_silent.mkv", Fraction(5), silent=True)
    out = tmp_path / "out.mkv"
    assert run_cli(["extrapolate", src, "-o", out, "--ahead", "2", "--model", "flow", "-q"]) == 0
    (picture_start, _), (sound_start, sound_end) = stream_span(out, "video"), stream_span(out, "audio")
    assert sound_start == pytest.approx(picture_start, abs=0.03)
    assert sound_end - picture_start == pytest.approx(14 / 24, abs=0.03)


DROPPED = [Fraction(i, 25) for i in range(12) if i not in (4, 7, 8)]  # a 25 fps source that lost three frames


def test_extrapolation_keeps_a_variable_rate_sources_frames_and_times(tmp_path):
    """The output ran on the average rate's grid (18.75 fps here), which fell between the source frames and
    replaced nearly all of them with made frames."""
    src = make_clip(tmp_path / "dropped.mp4", vfr_times=DROPPED, fps=Fraction(25), audio=False)
    out = tmp_path / "out.mp4"
    args = ["--ahead", "2", "--behind", "1", "--model", "flow", "--crf", "0", "-q"]
    assert run_cli(["extrapolate", src, "-o", out, *args]) == 0
    frames, times = frames_and_times(out)
    source, source_times = frames_and_times(src)
    step = Fraction(1, 25)
    assert times == [Fraction(0)] + [t + step for t in source_times] + [source_times[-1] + k * step for k in (2, 3)]
    assert all(np.array_equal(a, b) for a, b in zip(frames[1:-2], source, strict=True))


@pytest.mark.parametrize("factor", [2, 4])
def test_causal_factor_counts_and_times(tmp_path, factor):
    src = make_clip(tmp_path / "in.mp4", frames=8, fps=Fraction(24))
    out = tmp_path / "out.mp4"
    assert run_cli(["extrapolate", src, "-o", out, "--causal", "--factor", factor, "--model", "flow", "-q"]) == 0
    frames, times = frames_and_times(out)
    assert len(frames) == 8 * factor
    assert times == [Fraction(j, 24 * factor) for j in range(8 * factor)]
    assert stream_seconds(out, "audio") == pytest.approx(stream_seconds(src, "audio"), abs=0.03)


@pytest.mark.parametrize("factor", [2, 4])
def test_causal_with_ahead_and_behind_stays_on_the_output_grid(tmp_path, factor):
    src = make_clip(tmp_path / "in.mp4", frames=8, fps=Fraction(24))
    out = tmp_path / "out.mp4"
    args = ["--causal", "--factor", factor, "--ahead", "2", "--behind", "1", "--model", "flow", "-q"]
    assert run_cli(["extrapolate", src, "-o", out, *args]) == 0
    frames, times = frames_and_times(out)
    count = (1 + 8 + 2) * factor  # one source interval before, the clip, two after: all at the raised rate
    assert len(frames) == count
    assert times == [Fraction(j, 24 * factor) for j in range(count)]
    assert stream_seconds(out, "audio") == pytest.approx(stream_seconds(src, "audio") + 3 / 24, abs=0.03)


def _stream(change_from: int, n: int = 10) -> list[SourceFrame]:
    """The test scene; from `change_from` on, the frames are a different scene."""
    return [
        SourceFrame(i, Fraction(i, 24), scene_image(i + (100 if i >= change_from else 0), (64, 48))) for i in range(n)
    ]


@pytest.mark.parametrize("model", ["flow", "tempo"])
def test_causal_never_uses_a_later_frame(model):
    synth = load_model(model, device="cpu", precision="fp32")
    config = EngineConfig(PlanConfig(rate=Fraction(96), period=Fraction(1, 24), anchors=3, causal=True))

    def run(change_from: int) -> list:
        engine = Engine(synth, config)
        return list(engine.run(_stream(change_from)))

    same, changed = run(99), run(6)
    before = [(a, b) for a, b in zip(same, changed, strict=True) if a.time < Fraction(6, 24)]
    assert len(before) == 24 and any(a.synthesized for a, _ in before)
    for a, b in before:
        assert np.array_equal(a.image, b.image), f"frame at {a.time} used a later frame"
    lookahead = EngineConfig(PlanConfig(rate=Fraction(96), period=Fraction(1, 24), anchors=2))
    plain_same = list(Engine(synth, lookahead).run(_stream(99)))
    plain_changed = list(Engine(synth, lookahead).run(_stream(6)))
    between = [i for i, f in enumerate(plain_same) if Fraction(5, 24) < f.time < Fraction(6, 24)]
    assert any(not np.array_equal(plain_same[i].image, plain_changed[i].image) for i in between)


@pytest.mark.parametrize("keep_overlays", [False, True])
def test_causal_mode_reads_no_frame_past_the_one_it_extrapolates_from(keep_overlays: bool) -> None:
    """A stream: each frame out is made before the next frame in is read, with the overlay search on as well."""
    plan = PlanConfig(rate=Fraction(96), period=Fraction(1, 24), anchors=3, causal=True)
    engine = Engine(load_model("flow"), EngineConfig(plan, keep_overlays=keep_overlays))
    read: list[Fraction] = []

    def stream() -> Iterator[SourceFrame]:
        for frame in _stream(99, 14):
            read.append(frame.time)
            yield frame

    outputs = 0
    for out in engine.run(stream()):
        assert read[-1] <= out.time, f"frame {read[-1]} was read before the frame at {out.time} was made"
        outputs += 1
    assert outputs == 4 * 14


def test_save_maps_writes_a_confidence_png_per_predicted_frame(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=6, fps=Fraction(24), size=(64, 48))
    maps = tmp_path / "maps"
    out = tmp_path / "out.mp4"
    assert run_cli(["extrapolate", src, "-o", out, "--ahead", "2", "--save-maps", maps, "-q"]) == 0
    assert sorted(p.name for p in maps.iterdir()) == ["conf_000007.png", "conf_000008.png"]  # output frames 7 and 8
    assert not [p for p in tmp_path.iterdir() if ".tempo-" in p.name]


def test_no_maps_are_kept_when_the_video_fails_to_finish(tmp_path, capsys, monkeypatch):
    """The maps were committed before the video: a full disk at the video's end left the maps and no video, and
    the next run was refused for the maps folder that existed."""

    def disk_full(self):
        raise VideoError(f"cannot finish writing {self.target}: [Errno 28] No space left on device")

    monkeypatch.setattr(VideoWriter, "commit", disk_full)
    src = make_clip(tmp_path / "in.mp4", frames=6, fps=Fraction(24), size=(64, 48))
    args = ["extrapolate", src, "-o", tmp_path / "out.mp4", "--ahead", "2", "--save-maps", tmp_path / "maps", "-q"]
    assert run_cli(args) == 2
    assert "No space left" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


@pytest.mark.parametrize(
    ("failure", "code", "line"),
    [
        (PermissionError(13, "Permission denied"), 2, "tempo: error: {out} was written, but not the maps in {maps}: "),
        (KeyboardInterrupt(), 130, "tempo: interrupted; {out} was written, not the maps in {maps}"),
    ],
)
def test_a_failure_after_the_video_says_it_was_written_and_the_maps_were_not(
    tmp_path, capsys, monkeypatch, failure, code, line
):
    """Moving the maps into place comes after the video's commit: a failure there had been reported as if the run
    had written nothing (an error), or as if the maps were written too (an interrupt)."""

    def fail(self):
        self.abort()
        raise failure

    monkeypatch.setattr(ImageSequenceWriter, "commit", fail)
    src = make_clip(tmp_path / "in.mp4", frames=6, fps=Fraction(24), size=(64, 48))
    out, maps = tmp_path / "out.mp4", tmp_path / "maps"
    assert run_cli(["extrapolate", src, "-o", out, "--ahead", "2", "--save-maps", maps, "-q"]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(line.format(out=out, maps=maps)), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "out.mp4"]


def test_save_maps_refuses_a_file_and_a_model_without_maps(tmp_path, capsys):
    src = make_clip(tmp_path / "in.mp4", frames=6, fps=Fraction(24), size=(64, 48))
    taken = tmp_path / "maps"
    taken.write_text("keep me")
    for extra, message in [([], "output folder is an existing file"), (["--model", "flow"], "confidence map")]:
        args = ["extrapolate", src, "-o", tmp_path / "out.mp4", "--ahead", "1", "--save-maps", taken, "-q", *extra]
        assert run_cli(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    assert taken.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "maps"]


def test_nothing_is_extrapolated_from_the_old_shot(tmp_path):
    src = make_clip(tmp_path / "in.mkv", frames=10, size=(96, 64), cut_at=9, codec="ffv1", pix_fmt="bgr0", audio=False)
    out = tmp_path / "out.mkv"
    args = ["extrapolate", src, "-o", out, "--ahead", "2", "--model", "flow", "--codec", "ffv1", "--lossless", "-q"]
    assert run_cli(args) == 0
    frames, _ = frames_and_times(out)
    source, _ = frames_and_times(src)
    assert np.array_equal(frames[-1], source[-1]) and np.array_equal(frames[-2], source[-1])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ahead", "0"], "--ahead"),
        (["--ahead", "-1"], "--ahead"),
        (["--behind", "1.5"], "--behind"),
        (["--ahead", "99999999999"], "--ahead 99999999999 is above tempo's limit of 10000"),
        (["--behind", "10001"], "--behind 10001 is above tempo's limit of 10000"),
        ([], "nothing to do"),
        (["--factor", "2"], "--causal"),
        (["--causal", "--factor", "1"], "--factor"),
        (["--ahead", "2", "--anchors", "5"], "extrapolation needs at least 5 frames"),
    ],
)
def test_bad_extrapolation_input_is_one_line(tmp_path, capsys, extra, message):
    src = make_clip(tmp_path / "in.mp4", frames=4)
    code = run_cli(["extrapolate", src, "-o", tmp_path / "o.mp4", "--model", "flow", "-q", *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "o.mp4").exists()


def test_a_one_frame_clip_is_too_short_for_extrapolation(tmp_path, capsys):
    """With two anchors the message spoke of interpolation."""
    src = make_clip(tmp_path / "in.mp4", frames=1)
    assert run_cli(["extrapolate", src, "-o", tmp_path / "o.mp4", "--ahead", "1", "--anchors", "2", "-q"]) == 2
    assert "extrapolation needs at least 2 frames" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--ahead", "3"], "in_ahead3.mp4"),
        (["--behind", "2", "--ahead", "1"], "in_behind2_ahead1.mp4"),
        (["--causal", "--factor", "4"], "in_causal4x.mp4"),
        (["--causal", "--ahead", "1"], "in_causal2x_ahead1.mp4"),
    ],
)
def test_default_output_names_say_what_was_added(tmp_path, args, name):
    """`--ahead 3` and `--behind 2 --ahead 1` both wrote in_ext3.mp4, and every causal factor in_causal.mp4, so a
    second run failed with "output already exists"."""
    src = make_clip(tmp_path / "in.mp4", frames=6, audio=False)
    assert run_cli(["extrapolate", src, *args, "--model", "flow", "-q"]) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name != "in.mp4"] == [name]
