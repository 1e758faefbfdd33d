"""`tempo interpolate` end to end on small generated clips and the bundled one."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import stat
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.cli_helpers import frames_and_times, psnr, run_cli, stream_seconds
from tests.media import (
    corrupt_packet,
    delay_all_streams,
    make_audio_only,
    make_clip,
    make_image_folder,
    yuv_planes,
)

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "samples" / "cars.mp4"


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_factor_multiplies_frames_on_an_exact_time_grid(tmp_path, factor):
    src = make_clip(tmp_path / "in.mp4", frames=12, fps=Fraction(24))
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--factor", factor, "--model", "blend", "-q"]) == 0
    frames, times = frames_and_times(out)
    assert len(frames) == 12 * factor
    assert times == [Fraction(j, 24 * factor) for j in range(12 * factor)]


@pytest.mark.parametrize("fps_in", [Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001)])
def test_target_fps_keeps_duration_and_audio_in_sync(tmp_path, fps_in):
    src = make_clip(tmp_path / "in.mp4", frames=30, fps=fps_in)
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--fps", "60000/1001", "--model", "blend", "-q"]) == 0
    frames, times = frames_and_times(out)
    rate = Fraction(60000, 1001)
    assert times == [j / rate for j in range(len(frames))]
    assert abs(len(frames) / rate - 30 / fps_in) <= 1 / rate
    audio_in, audio_out = stream_seconds(src, "audio"), stream_seconds(out, "audio")
    assert audio_in is not None and audio_out is not None
    assert abs(audio_out - audio_in) < 0.03
    assert abs(audio_out - len(frames) / rate) < 1 / rate + 0.03


@pytest.mark.parametrize(("rate", "frames_out", "slowdown"), [(["--factor", "4"], 48, 4), (["--fps", "60"], 30, 2.5)])
def test_slow_motion_plays_the_new_frames_at_the_input_rate(tmp_path, rate, frames_out, slowdown):
    src = make_clip(tmp_path / "in.mp4", frames=12, fps=Fraction(24))
    out = tmp_path / "slow.mp4"
    assert run_cli(["interpolate", src, "-o", out, *rate, "--slow-motion", "--model", "blend", "-q"]) == 0
    _, times = frames_and_times(out)
    assert times == [Fraction(j, 24) for j in range(frames_out)]
    audio_in, audio_out = stream_seconds(src, "audio"), stream_seconds(out, "audio")
    assert audio_in is not None and audio_out is not None
    assert abs(audio_out - slowdown * audio_in) < 0.05


def test_slow_motion_into_an_image_folder_says_it_changes_nothing(tmp_path, capsys):
    src = make_clip(tmp_path / "in.mp4", frames=4)
    assert (
        run_cli(["interpolate", src, "-o", f"{tmp_path / 'frames'}/", "--slow-motion", "--model", "blend", "-q"]) == 0
    )
    assert "image folder has no frame rate" in capsys.readouterr().err
    assert len(list((tmp_path / "frames").glob("*.png"))) == 8


def _png_chunks(path: Path) -> dict[bytes, bytes]:
    """Chunk type -> data of a PNG file."""
    import struct

    data, chunks, at = path.read_bytes(), {}, 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunks[data[at + 4 : at + 8]] = data[at + 8 : at + 8 + length]
        at += 12 + length
    return chunks


@pytest.mark.parametrize(
    ("tags", "cicp"), [({"color_primaries": 9, "color_trc": 16}, bytes((9, 16, 0, 1))), ({}, None)]
)
def test_images_of_an_hdr_source_say_how_they_are_coded(tmp_path, tags, cicp):
    """PQ / BT.2020 values in a PNG without a cICP chunk are shown as sRGB: washed out."""
    from tempo_cli.video.containers import usable_encoder
    from tempo_cli.video.imageseq import read_image

    if not usable_encoder("libx265"):
        pytest.skip("this FFmpeg has no libx265")
    colour = {"color_range": 1, "colorspace": 9, "color_primaries": 1, "color_trc": 1} | tags
    options = {"x265-params": "log-level=error"}
    src = make_clip(
        tmp_path / "in.mkv",
        frames=3,
        audio=False,
        codec="libx265",
        pix_fmt="yuv420p10le",
        color_tags=colour,
        codec_options=options,
    )
    assert run_cli(["interpolate", src, "-o", f"{tmp_path / 'frames'}/", "--model", "blend", "-q"]) == 0
    pngs = sorted((tmp_path / "frames").glob("*.png"))
    assert len(pngs) == 6
    for png in pngs:
        assert _png_chunks(png).get(b"cICP") == cicp
        assert read_image(png).dtype == np.uint16


def test_a_rotated_source_into_an_image_folder_gives_upright_images(tmp_path, capsys):
    """A phone video stored sideways with a quarter turn to the left for display (ffmpeg -display_rotation 90)."""
    from tempo_cli.video.imageseq import read_image

    src = make_clip(tmp_path / "in.mp4", frames=3, rotation=90, audio=False)
    args = ["-o", f"{tmp_path / 'frames'}/", "--save-maps", tmp_path / "maps", "-q"]
    assert run_cli(["interpolate", src, *args]) == 0
    assert capsys.readouterr().err == ""
    coded, _ = frames_and_times(src)
    images = [read_image(p) for p in sorted((tmp_path / "frames").glob("*.png"))]
    assert len(images) == 6 and np.array_equal(images[0], np.rot90(coded[0]))
    maps = [read_image(p) for p in sorted((tmp_path / "maps").glob("*.png"))]
    assert maps and all(m.shape == images[0].shape for m in maps)  # the confidence maps are turned too


def test_libx265_keeps_quiet(tmp_path, capfd):
    """x265 writes its banner and settings straight to the process's stderr unless told not to."""
    from tempo_cli.video.containers import usable_encoder

    if not usable_encoder("libx265"):
        pytest.skip("this FFmpeg has no libx265")
    src = make_clip(tmp_path / "in.mp4", frames=3, audio=False)
    assert (
        run_cli(["interpolate", src, "-o", tmp_path / "out.mkv", "--codec", "libx265", "--model", "blend", "-q"]) == 0
    )
    assert capfd.readouterr().err == ""


def test_slow_motion_refuses_extrapolation(tmp_path):
    from tempo_cli.api import Interpolator, RunOptions, load_model
    from tempo_cli.errors import TempoError

    src = make_clip(tmp_path / "in.mp4", frames=6)
    with pytest.raises(TempoError, match="slow motion cannot add frames"):
        Interpolator(load_model("blend")).interpolate_video(
            src, tmp_path / "o.mp4", RunOptions(slow_motion=True, ahead=1)
        )
    assert not (tmp_path / "o.mp4").exists()


def test_source_frames_are_untouched_and_no_morph_across_a_cut(tmp_path):
    src = make_clip(
        tmp_path / "in.mkv", frames=16, fps=Fraction(24), size=(96, 64), cut_at=8, codec="ffv1", pix_fmt="bgr0"
    )
    out = tmp_path / "out.mkv"
    args = ["interpolate", src, "-o", out, "--factor", "4", "--model", "blend", "--lossless", "--codec", "ffv1", "-q"]
    assert run_cli(args) == 0
    source, _ = frames_and_times(src)
    frames, _ = frames_and_times(out)
    assert len(frames) == 64
    for k, image in enumerate(source):
        assert np.array_equal(frames[4 * k], image), f"source frame {k} changed"
    for j in range(29, 32):
        assert any(np.array_equal(frames[j], s) for s in (source[7], source[8])), f"frame {j} blends across the cut"
    assert not any(np.array_equal(frames[j], source[7]) or np.array_equal(frames[j], source[6]) for j in (25, 26, 27))


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuvj420p"])  # yuvj420p: full-range (JPEG) YUV, as phones write
def test_source_frames_keep_their_original_yuv_picture(tmp_path, pix_fmt):
    """--lossless keeps the source's pixel format by itself (it had written 4:4:4, which changed the source frames)."""
    src = make_clip(tmp_path / "in.mp4", frames=8, fps=Fraction(24), size=(96, 64), pix_fmt=pix_fmt)
    out = tmp_path / "out.mkv"
    args = ["interpolate", src, "-o", out, "--factor", "2", "--model", "blend", "--lossless"]
    assert run_cli([*args, "-q"]) == 0
    source, written = yuv_planes(src), yuv_planes(out)
    assert len(written) == 16
    for k, planes in enumerate(source):
        assert np.array_equal(written[2 * k], planes), f"source frame {k} went through RGB"


def test_a_still_picture_stays_still(tmp_path):
    """Synthesized frames of a still picture have the source's YUV picture, colour edges included (read to RGB and
    written back, their chroma must come back as it was: anything else flickers against the source frames)."""
    src = make_clip(tmp_path / "in.mp4", size=(96, 64), pictures=[0] * 6, audio=False, codec_options={"qp": "0"})
    out = tmp_path / "out.mkv"
    args = ["interpolate", src, "-o", out, "--factor", "2", "--model", "blend", "--lossless", "--pix-fmt", "yuv420p"]
    assert run_cli([*args, "-q"]) == 0
    picture, written = yuv_planes(src)[0].astype(int), yuv_planes(out)
    assert len(written) == 12
    assert max(int(np.abs(frame.astype(int) - picture).max()) for frame in written) <= 1


def test_default_model_runs_and_keeps_audio(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=8, fps=Fraction(24), size=(80, 48))
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "-q"]) == 0
    frames, _ = frames_and_times(out)
    assert len(frames) == 16
    assert stream_seconds(out, "audio") == pytest.approx(stream_seconds(src, "audio"), abs=0.03)


def test_bundled_clip_with_flow(tmp_path, capsys):
    out = tmp_path / "cars_x2.mp4"
    assert run_cli(["interpolate", BUNDLED, "-o", out, "--factor", "2", "--model", "flow"]) == 0
    frames, times = frames_and_times(out)
    assert len(frames) == 100
    assert times[-1] == Fraction(99, 25)
    err = capsys.readouterr().err
    assert "50 frames in, 100 out" in err
    assert stream_seconds(out, "audio") == pytest.approx(stream_seconds(BUNDLED, "audio"), abs=0.03)


def colour_planes(path: Path) -> list[list[bytes]]:
    """The Y, U and V planes of each decoded frame, as stored."""
    with av.open(str(path)) as container:
        return [[bytes(plane) for plane in frame.planes[:3]] for frame in container.decode(video=0)]


def test_alpha_is_dropped_with_a_warning_and_the_colour_planes_kept(tmp_path, capsys):
    """Made frames were opaque between copies that kept the source's alpha (transparency flickered), or every
    frame was opaque in an output that said it had alpha, without a word."""
    src = make_clip(tmp_path / "alpha.mkv", frames=6, codec="ffv1", pix_fmt="yuva420p", audio=False)
    out = tmp_path / "out.mkv"
    args = ["interpolate", src, "-o", out, "--model", "blend", "--codec", "ffv1", "-q"]
    assert run_cli([*args, "--lossless"]) == 0
    warning = "warning: the source's alpha channel (transparency, yuva420p) is not kept: every frame is opaque"
    assert capsys.readouterr().err.strip().splitlines() == [warning]
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert colour_planes(out)[::2] == colour_planes(src)
    assert run_cli([*args, "--pix-fmt", "yuva420p", "--overwrite"]) == 2
    assert "yuva420p has an alpha channel" in capsys.readouterr().err


def test_variable_frame_rate_becomes_constant_rate(tmp_path):
    vfr = [0, 0.04, 0.12, 0.16, 0.28, 0.32, 0.36, 0.48]
    src = make_clip(tmp_path / "in.mkv", vfr_times=vfr, fps=Fraction(25))
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--fps", "50", "--model", "blend", "-q"]) == 0
    frames, times = frames_and_times(out)
    assert times == [Fraction(j, 50) for j in range(len(frames))]
    assert abs(len(frames) / 50 - (0.48 + 0.04)) <= Fraction(1, 50)


def test_a_source_with_dropped_frames_keeps_its_frames_and_gets_the_missing_ones(tmp_path):
    """A 25 fps clip that lost three frames: 2x runs at 50 fps with every source frame passed through and the
    gaps filled. On twice the average rate (37.5 fps) the output fell between the source frames and replaced
    nearly all of them."""
    kept = [Fraction(i, 25) for i in range(12) if i not in (4, 7, 8)]
    src = make_clip(tmp_path / "dropped.mp4", vfr_times=kept, fps=Fraction(25), audio=False)
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--model", "blend", "--crf", "0", "-q"]) == 0
    frames, times = frames_and_times(out)
    assert times == [Fraction(j, 50) for j in range(24)]
    source, _ = frames_and_times(src)
    assert all(np.array_equal(frames[round(t * 50)], image) for t, image in zip(kept, source, strict=True))


def test_odd_size_and_image_folders(tmp_path):
    src = make_clip(tmp_path / "odd.mp4", frames=6, size=(175, 143), pix_fmt="yuv444p")
    out = tmp_path / "odd_x2.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--model", "flow", "-q"]) == 0
    frames, _ = frames_and_times(out)
    assert frames[0].shape == (143, 175, 3) and len(frames) == 12
    folder = make_image_folder(tmp_path / "frames", frames=5)
    target = tmp_path / "frames_x2"
    assert run_cli(["interpolate", folder, "-o", f"{target}/", "--input-fps", "10", "--model", "blend", "-q"]) == 0
    assert len(sorted(target.glob("*.png"))) == 10


def test_input_fps_on_a_video_file_is_ignored_with_a_warning(tmp_path, capsys):
    """It was ignored without a word."""
    src = make_clip(tmp_path / "in.mp4", frames=4, fps=Fraction(24), audio=False)
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--input-fps", "30", "--model", "blend", "-q"]) == 0
    assert "--input-fps is for image folders" in capsys.readouterr().err
    assert frames_and_times(out)[1] == [Fraction(i, 48) for i in range(8)]


@pytest.mark.parametrize("model", ["tempo", "flow"])
@pytest.mark.parametrize("size", [(8, 8), (200, 12)])  # DIS crashed below one patch at its finest scale
def test_frames_smaller_than_a_flow_patch_are_interpolated(tmp_path, model, size):
    src = make_clip(tmp_path / "tiny.mp4", frames=4, size=size, audio=False)
    out = tmp_path / "tiny_x2.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--model", model, "-q"]) == 0
    frames, _ = frames_and_times(out)
    assert len(frames) == 8 and frames[0].shape == (size[1], size[0], 3)


def test_tiled_equals_untiled(tmp_path):
    from tempo_cli.api import Interpolator, load_model

    src = make_clip(tmp_path / "in.mp4", frames=3, size=(256, 192))
    frames, _ = frames_and_times(src)
    synth = load_model("tempo", device="cpu", precision="fp32")
    whole = Interpolator(synth).interpolate_frames(frames, factor=2)
    tiled = Interpolator(synth).interpolate_frames(frames, factor=2, tile=128, tile_overlap=64)
    for a, b in zip(whole, tiled, strict=True):
        assert psnr(a, b) >= 40.0


def test_tiled_targets_made_in_several_passes_equal_one_pass(monkeypatch):
    """A window's targets are made in passes over the tiles when their merge sums would outgrow a budget (a 4K
    slow motion had held every target's at once); each pass makes the frames one pass would."""
    from tempo_cli.api import Interpolator, load_model
    from tempo_cli.engine import runner

    rng = np.random.default_rng(0)
    texture = (cv2.GaussianBlur(rng.random((160, 224, 3)).astype(np.float32), (0, 0), 2) * 255).astype(np.uint8)
    frames = [np.roll(texture, 4 * i, axis=1) for i in range(3)]
    synth = load_model("flow")
    one_pass = Interpolator(synth).interpolate_frames(frames, factor=4, tile=128, tile_overlap=32)
    monkeypatch.setattr(runner, "MERGE_BUDGET_BYTES", 2 * 160 * 224 * runner.MERGE_BYTES_PER_PIXEL)  # 2 a pass
    passes = Interpolator(synth).interpolate_frames(frames, factor=4, tile=128, tile_overlap=32)
    assert len(one_pass) == len(passes) == 12
    for a, b in zip(one_pass, passes, strict=True):
        assert np.array_equal(a, b)


def test_tiles_follow_a_fast_pan_as_the_whole_frame_does():
    """Frames made near a tile's inner edge miss content that moves in from beyond it: with the whole overlap
    feathered and 64 px of it, a 48-px pan in 512-px tiles came out at 45.0 dB against the untiled frame."""
    from tempo_cli.api import Interpolator, load_model

    rng = np.random.default_rng(0)  # detail at every scale, as in a real picture, for DIS's pyramid to follow
    noise = (rng.random((400, 1400, 3)).astype(np.float32) for _ in range(4))
    texture = sum(cv2.GaussianBlur(n, (0, 0), s) * s**0.5 for n, s in zip(noise, (2, 6, 18, 50), strict=True))
    texture = ((texture - texture.min()) / np.ptp(texture) * 255).astype(np.uint8)
    frames = [np.ascontiguousarray(texture[:384, x : x + 1024]) for x in (0, 48)]
    interpolator = Interpolator(load_model("flow"))
    whole = interpolator.interpolate_frames(frames, factor=2)[1]
    tiled = interpolator.interpolate_frames(frames, factor=2, tile=512)[1]
    assert psnr(whole, tiled) >= 47.5


def test_tiles_overlap_by_a_quarter_by_default_and_by_half_at_most():
    from tempo_cli.engine.planner import PlanConfig
    from tempo_cli.engine.runner import EngineConfig

    plan = PlanConfig(rate=Fraction(2), period=Fraction(1), anchors=2)
    overlaps = [EngineConfig(plan, tile=tile).overlap for tile in (64, 128, 256, 512, 1024)]
    assert overlaps == [32, 64, 64, 128, 256]  # a 64-px tile had overlapped by 48: a 16-px step, thousands of tiles


def test_library_api_on_numpy_frames():
    from tempo_cli.api import Interpolator, load_model

    frames = [np.full((32, 48, 3), v, np.uint8) for v in (0, 100, 200)]
    out = Interpolator(load_model("blend")).interpolate_frames(frames, factor=2)
    assert [int(f[0, 0, 0]) for f in out] == [0, 50, 100, 150, 200, 200]


def _bad(tmp_path: Path, capsys, args: list) -> str:
    code = run_cli(["interpolate", *args, "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--factor", "0"], "--factor"),
        (["--factor", "1"], "--factor"),
        (["--factor", "-2"], "--factor"),
        (["--factor", "2.5"], "--factor"),
        (["--fps", "0"], "frame rate"),
        (["--fps", "-30"], "frame rate"),
        (["--fps", "12"], "below the input"),
        (["--fps", "sixty"], "not a frame rate"),
        (["--codec", "nosuchcodec"], "unknown codec"),
        (["--factor", "2", "--fps", "60"], "not both"),
        (["--tile", "big"], "--tile"),
        (["--device", "tpu"], "device"),
        (["--scale", "2"], "scale"),
        (["--scale", "0"], "scale"),
        (["--scale", "half"], "scale"),
        (["--factor", "99999999999"], "limit of 10000 fps"),
        (["--fps", "1e10"], "limit of 10000 fps"),
        (["--fps", "1e400"], "limit of 10000 fps"),
        (["--tile", "128", "--tile-overlap", "-1"], "0 or more pixels"),
        (["--tile-overlap", "100"], "a tile overlap needs a tile size (or 'auto')"),  # was ignored
        (["--tile", "auto", "--tile-overlap", "-5"], "0 or more pixels"),  # where 'auto' chooses whole frames too
        (["--threads", "0"], "--threads must be from 1 to 1024"),
        (["--crf", "52"], "--crf must be from 0 to 51 for libx264, got 52"),
        (["--crf", "-1"], "--crf must be from 0 to 51 for libx264, got -1"),
        (["--codec", "libvpx-vp9", "--crf", "64"], "--crf must be from 0 to 63 for libvpx-vp9, got 64"),
        (["--codec", "libsvtav1", "--crf", "0"], "--crf must be from 1 to 63 for libsvtav1, got 0"),
        (["--codec", "mpeg4", "--crf", "1000"], "--crf must be from 0 to 51 for mpeg4, got 1000"),
        (["--threads", "100000"], "--threads must be from 1 to 1024"),
        (["--cut-threshold", "nan"], "threshold"),
        (["--cut-threshold", "-1"], "threshold"),
        (["--anchors", "9"], "--anchors"),
        (["--anchors", "3"], "--anchors must be even for interpolation"),
        (["--tile", "64", "--tile-overlap", "63"], "at most 48 px for 64-px tiles"),
        (["--preset", "bogus"], "preset"),
        (["--save-maps", "maps"], "confidence map"),
        (["--dedup", "--dedup-threshold", "-1"], "duplicate threshold"),
        (["--dedup-threshold", "nan"], "duplicate threshold"),
    ],
)
def test_bad_options_are_one_line(tmp_path, capsys, extra, message):
    src = make_clip(tmp_path / "in.mp4", frames=4)
    line = _bad(tmp_path, capsys, [src, "-o", tmp_path / "o.mp4", "--model", "blend", *extra])
    assert message in line
    assert not (tmp_path / "o.mp4").exists()


def test_tile_auto_with_an_overlap_runs_where_it_chooses_whole_frames(tmp_path):
    """A small clip fits in memory whole, so 'auto' chooses no tiles, and the overlap given for tiles is not an
    error there."""
    src = make_clip(tmp_path / "in.mp4", frames=4)
    out = tmp_path / "o.mp4"
    assert (
        run_cli(["interpolate", src, "-o", out, "--model", "blend", "--tile", "auto", "--tile-overlap", "32", "-q"])
        == 0
    )
    assert len(frames_and_times(out)[0]) == 8


def test_tile_auto_sizes_tiles_for_the_scale_the_network_works_at(monkeypatch):
    """'auto' took 2,700 bytes a pixel and anchor at any working scale and tiled 4K with 13.6 GB free, although at its
    auto scale of 1/4 it runs whole in 2.3 GB; at scale 1 it needs tiles still."""
    from tempo_cli.engine import tile_size

    monkeypatch.setattr(tile_size, "free_memory", lambda device=None: 12 * 2**30)
    assert tile_size.auto_tile(3840, 2160, 2, 0.25) is None
    tile = tile_size.auto_tile(3840, 2160, 2, 1.0)
    assert tile is not None and tile_size.MIN_TILE <= tile < 2160


def test_tile_auto_makes_room_for_each_frame_a_model_call_makes(monkeypatch):
    """Each more target of a window holds about 11 bytes a pixel (4K untiled: 3.5 GB at --factor 16, 2.3 at 2x); 'auto'
    sized tiles for one target whatever the factor."""
    from tempo_cli.engine import tile_size

    monkeypatch.setattr(tile_size, "free_memory", lambda device=None: 9 * 2**30)
    assert tile_size.auto_tile(3840, 2160, 2, 0.25, targets=1) is None
    tile = tile_size.auto_tile(3840, 2160, 2, 0.25, targets=15)
    assert tile is not None and tile < 3840


@pytest.mark.parametrize(
    ("model", "extra", "scale", "targets"),
    [
        ("tempo", ["--scale", "0.5"], 0.5, 1),
        ("tempo", [], 1.0, 1),
        ("blend", [], 1.0, 1),
        ("blend", ["--factor", "4"], 1.0, 3),
        ("blend", ["--dedup"], 1.0, 5),  # 2 copies left out in a row: 3 periods at 2x
    ],
)
def test_tile_auto_is_given_the_working_scale_and_the_frames_a_call_makes(
    tmp_path, monkeypatch, model, extra, scale, targets
):
    from tempo_cli import api

    seen = []

    def record(width, height, anchors, working_scale, targets):
        seen.append((working_scale, targets))

    monkeypatch.setattr(api, "auto_tile", record)
    src = make_clip(tmp_path / "in.mp4", frames=3)  # small: the auto scale is 1
    args = ["interpolate", src, "-o", tmp_path / "o.mp4", "--model", model, "--tile", "auto", *extra, "-q"]
    assert run_cli(args) == 0
    assert seen == [(scale, targets)]


def test_a_hardware_encoder_without_its_device_is_named(tmp_path, capsys):
    """NVENC on a machine without an NVIDIA GPU said only "cannot write o.mp4: Operation not permitted"."""
    import torch

    try:
        av.codec.Codec("h264_nvenc", "w")
    except av.codec.codec.UnknownCodecError:
        pytest.skip("this FFmpeg build has no h264_nvenc encoder")
    if torch.cuda.is_available():
        pytest.skip("NVENC may start on this machine's GPU")
    src = make_clip(tmp_path / "in.mp4", frames=4)
    line = _bad(tmp_path, capsys, [src, "-o", tmp_path / "o.mp4", "--codec", "h264_nvenc", "--model", "blend"])
    assert "the h264_nvenc encoder did not start" in line
    assert not (tmp_path / "o.mp4").exists()


def test_a_writer_that_cannot_start_is_one_line_without_the_warnings_of_setting_it_up(tmp_path, capsys, monkeypatch):
    """Setting up the .ogv output re-encodes the AAC audio (a warning), then the start fails (here made to)."""
    from tempo_cli.video import writer

    def refused() -> None:
        raise ValueError("the encoder refused to start")

    monkeypatch.setattr(writer, "OrderedWorker", refused)
    src = make_clip(tmp_path / "in.mp4", frames=4)
    target = tmp_path / "o.ogv"
    line = _bad(tmp_path, capsys, [src, "-o", target, "--codec", "libvpx", "--model", "blend"])
    assert line == f"tempo: error: cannot write {target}: the encoder refused to start"
    assert not target.exists()


def test_a_decimal_rate_is_rounded_to_what_a_rate_can_be_and_a_fraction_stays_exact():
    from tempo_cli.cli.options import default_output
    from tempo_cli.timing import parse_rate

    assert parse_rate("24.0000000001") == 24
    assert parse_rate("12.000000001") == 12
    assert parse_rate("29.97") == Fraction(30000, 1001)
    assert parse_rate("23.976") == Fraction(24000, 1001)
    assert parse_rate("1.001") == Fraction(1001, 1000)  # not 1000/1001: NTSC is within 0.01%
    assert parse_rate("0.001") == Fraction(1, 1000)
    assert parse_rate("60000/1001") == Fraction(60000, 1001)
    assert parse_rate("1/1800") == Fraction(1, 1800)  # a time-lapse frame every 30 minutes
    assert default_output(Path("phone.3gp"), "x2") == Path("phone_x2.mkv")  # a container tempo does not write


def test_an_early_error_is_the_only_line_even_with_the_progress_bar_on(tmp_path, capsys):
    src = make_clip(tmp_path / "in.mp4", frames=4)  # 24 fps, known once the run has opened it
    assert run_cli(["interpolate", src, "-o", tmp_path / "o.mp4", "--model", "blend", "--fps", "12"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "below the input" in err[0], err
    assert run_cli(["interpolate", tmp_path / "missing.mp4", "-o", src, "--model", "blend"]) == 2
    assert "not found" in capsys.readouterr().err  # the missing input, not the existing output, is named


def test_overwrite_never_replaces_a_folder_of_other_files(tmp_path, capsys):
    folder = tmp_path / "work"
    folder.mkdir()
    src = make_clip(folder / "in.mp4", frames=4)
    (folder / "notes.txt").write_text("keep me")
    line = _bad(tmp_path, capsys, [src, "-o", folder, "--model", "blend", "--overwrite"])
    assert "other than tempo's frames" in line
    assert sorted(p.name for p in folder.iterdir()) == ["in.mp4", "notes.txt"]
    named_like_a_video = tmp_path / "d.mp4"
    named_like_a_video.mkdir()
    (named_like_a_video / "keep.txt").write_text("keep me")
    assert "existing folder" in _bad(
        tmp_path, capsys, [src, "-o", named_like_a_video, "--model", "blend", "--overwrite"]
    )
    assert (named_like_a_video / "keep.txt").read_text() == "keep me"
    assert "unknown output type" in _bad(tmp_path, capsys, [src, "-o", tmp_path / "x.mp5", "--model", "blend"])
    assert not (tmp_path / "x.mp5").exists()
    maps = tmp_path / "maps"
    maps.mkdir()
    args = [src, "-o", maps / "out.mp4", "--save-maps", maps, "--overwrite"]  # replacing maps would delete out.mp4
    assert "contain each other" in _bad(tmp_path, capsys, args)
    frames = tmp_path / "frames"
    assert run_cli(["interpolate", src, "-o", frames, "--model", "blend", "-q"]) == 0
    assert run_cli(["interpolate", src, "-o", frames, "--model", "blend", "--factor", "4", "-q", "--overwrite"]) == 0
    assert len(list(frames.glob("frame_*.png"))) == 16


def test_a_folder_that_cannot_be_made_is_one_line_without_the_audio_warning(tmp_path, capsys):
    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc, where no folder can be made")
    src = make_clip(tmp_path / "in.mp4", frames=4)  # with audio, which a folder cannot hold
    line = _bad(tmp_path, capsys, [src, "-o", "/proc/tempo_frames/", "--model", "blend"])
    assert "/proc/tempo_frames" in line and ".tempo-" not in line  # the user's name, not the hidden temporary one


def test_a_broken_image_in_a_folder_is_one_line_without_opencvs_own(tmp_path, capfd):
    """A PNG whose chunks are out of order printed OpenCV's [ WARN ] and [ERROR] lines before tempo's."""
    folder = make_image_folder(tmp_path / "frames", frames=3)
    broken = folder / "frame_2.png"
    png = broken.read_bytes()
    broken.write_bytes(png[:8] + png[33:])  # the signature, then the chunks after IHDR
    code = run_cli(["interpolate", folder, "-o", tmp_path / "out", "--input-fps", "10", "--model", "blend", "-q"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and err == [f"tempo: error: cannot read image {broken}"], err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out.3gp", "unknown output type"),  # a video type tempo does not write; had become a folder
        ("x.mp4_", "unknown output type"),
        ("out.mp4 ", "ends with a space"),  # pasted with a trailing space
        ("out.", "ends with a space or a dot"),
        (".mp4", "suffix alone"),  # had become a hidden folder
    ],
)
def test_an_output_name_that_is_a_slip_is_refused_not_made_a_folder(tmp_path, capsys, name, message):
    src = make_clip(tmp_path / "in.mp4", frames=4)
    assert message in _bad(tmp_path, capsys, [src, "-o", tmp_path / name, "--model", "blend"])
    assert [p.name for p in tmp_path.iterdir()] == ["in.mp4"]


@pytest.mark.parametrize("name", ["clip.2x", "out.4k", "shot.60fps", "run.1080p", "take.v1_x2", "run.2"])
def test_a_folder_name_with_a_dot_in_it_is_still_a_folder(tmp_path, name):
    """A review of the slips above found .2x and .1080p refused as unknown file types for a moment."""
    from tempo_cli.video.paths import validate_output_path

    validate_output_path(tmp_path / name, None, overwrite=False)


def test_overwrite_never_replaces_a_link_or_a_pipe_with_a_file(tmp_path, capsys):
    src = make_clip(tmp_path / "in.mp4", frames=4)
    kept = tmp_path / "kept.mp4"
    kept.write_bytes(b"someone else's")
    link = tmp_path / "link.mp4"
    link.symlink_to(kept)
    assert "is a link" in _bad(tmp_path, capsys, [src, "-o", link, "--model", "blend", "--overwrite"])
    assert link.is_symlink() and kept.read_bytes() == b"someone else's"
    pipe = tmp_path / "pipe.mp4"
    os.mkfifo(pipe)
    assert "pipe or a device" in _bad(tmp_path, capsys, [src, "-o", pipe, "--model", "blend", "--overwrite"])
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "kept.mp4", "link.mp4", "pipe.mp4"]


def test_a_truncated_input_is_named_in_a_warning(tmp_path, capsys):
    import av

    whole = tmp_path / "whole.mp4"
    with av.open(str(whole), "w", options={"movflags": "faststart"}) as container:  # frame count in the header
        stream = container.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(40):
            image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    cut_off = tmp_path / "cut_off.mp4"
    cut_off.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert run_cli(["interpolate", cut_off, "-o", tmp_path / "o.mp4", "--model", "blend", "-q"]) == 0
    assert "cut_off.mp4 ended after" in (err := capsys.readouterr().err)
    assert "of the 40 frames its header lists; it may be truncated" in err
    assert run_cli(["interpolate", whole, "-o", tmp_path / "o2.mp4", "--model", "blend", "-q"]) == 0
    assert "truncated" not in capsys.readouterr().err


def test_a_file_cut_without_re_encoding_is_not_called_truncated(tmp_path, capsys):
    """Packets moved 3/4 s earlier (as ffmpeg -ss -c copy leaves them): MP4 hides the first 18 of its 36 frames
    behind an edit list, and its header still counts them."""
    cut = delay_all_streams(
        make_clip(tmp_path / "in.mp4", frames=36, audio=False), tmp_path / "cut.mp4", Fraction(-3, 4)
    )
    assert run_cli(["interpolate", cut, "-o", tmp_path / "o.mp4", "--model", "blend", "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert len(frames_and_times(tmp_path / "o.mp4")[0]) == 36


def test_avi_with_dropped_frames_is_not_called_truncated(tmp_path, capsys):
    """AVI lists the frames a capture dropped as empty entries, so its header counts more frames than decode."""
    times = [Fraction(i, 24) for i in range(48) if i % 4 != 3]
    src = make_clip(tmp_path / "dropped.avi", vfr_times=times, time_base=Fraction(1, 24), audio=False)
    assert run_cli(["interpolate", src, "-o", tmp_path / "o.mp4", "--model", "blend", "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert len(frames_and_times(tmp_path / "o.mp4")[0]) == 94


def test_variable_frame_rate_matroska_is_not_called_truncated(tmp_path, capsys):
    """Matroska lists no frame count, and a duration times the mean rate is none either."""
    times = [i / 30 for i in range(30)] + [1 + i / 5 for i in range(10)]
    src = make_clip(tmp_path / "vfr.mkv", vfr_times=times, audio=False)
    assert run_cli(["interpolate", src, "-o", tmp_path / "o.mkv", "--model", "blend", "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_bad_inputs_are_one_line(tmp_path, capsys):
    out = tmp_path / "o.mp4"
    assert "not found" in _bad(tmp_path, capsys, [tmp_path / "missing.mp4", "-o", out])
    text = tmp_path / "text.mp4"
    text.write_text("not a video")
    assert "not a readable video" in _bad(tmp_path, capsys, [text, "-o", out])
    notes = tmp_path / "notes.txt"  # FFmpeg's tty demuxer drew a text file this long as a 640x400 video
    notes.write_text("".join(f"line of notes number {i}\n" for i in range(400)))
    assert "not a readable video" in _bad(tmp_path, capsys, [notes, "-o", out])
    wav = make_audio_only(tmp_path / "sound.wav")
    assert "no video stream" in _bad(tmp_path, capsys, [wav, "-o", out])
    one = make_clip(tmp_path / "one.mp4", frames=1)
    assert "at least 2 frames" in _bad(tmp_path, capsys, [one, "-o", out, "--model", "blend"])
    src = make_clip(tmp_path / "in.mp4", frames=4)
    assert "input" in _bad(tmp_path, capsys, [src, "-o", src, "--model", "blend"])
    out.write_bytes(b"keep me")
    assert "exists" in _bad(tmp_path, capsys, [src, "-o", out, "--model", "blend"])
    assert out.read_bytes() == b"keep me"
    assert "not exist" in _bad(tmp_path, capsys, [src, "-o", tmp_path / "nodir" / "o.mp4", "--model", "blend"])
    assert run_cli(["interpolate", src, "-o", out, "--model", "blend", "--overwrite", "-q"]) == 0


def test_zero_frame_video_is_refused(tmp_path, capsys):
    import av

    empty = tmp_path / "empty.mp4"
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height = 64, 48
    line = _bad(tmp_path, capsys, [empty, "-o", tmp_path / "o.mp4", "--model", "blend"])
    assert "frame" in line or "video" in line


def _started_writing(tmp_path: Path) -> subprocess.Popen:
    """`tempo interpolate` of a long clip in `tmp_path`, once it has started writing its output."""
    src = make_clip(tmp_path / "in.mp4", frames=200, size=(320, 240))
    cmd = [sys.executable, "-m", "tempo_cli", "interpolate", str(src), "-o", str(tmp_path / "out.mp4")]
    # a shell without job control starts background jobs with SIGINT ignored; the child must not inherit that
    proc = subprocess.Popen(
        [*cmd, "--factor", "8", "--model", "flow"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name != "in.mp4" for p in tmp_path.iterdir()):
        time.sleep(0.1)
    return proc


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGINT, 130, b"interrupted"), (signal.SIGTERM, 143, b"stopped by SIGTERM")],
)
def test_ctrl_c_or_a_stop_signal_leaves_no_output(tmp_path, signum, code, message):
    proc = _started_writing(tmp_path)
    time.sleep(0.5)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err.decode()[-500:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
    assert b"Traceback" not in err and message in err


def test_ctrl_c_pressed_again_during_the_clean_up_is_ignored(tmp_path):
    """Three Ctrl-Cs 10 ms apart: the second interrupted the clean-up of the first, with a traceback."""
    proc = _started_writing(tmp_path)
    for _ in range(3):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.01)
    _, err = proc.communicate(timeout=60)
    # Late in its shutdown Python gives SIGINT back its default action, so a repeat that comes after the clean-up has
    # finished ends the process by SIGINT, which a shell reports as 130 too
    said = f"exit {proc.returncode}, stderr ends: {err.decode()[-500:]}"
    assert proc.returncode in (130, -signal.SIGINT), said
    assert err.decode().strip().splitlines()[-1] == "tempo: interrupted; no output written", said
    assert b"Traceback" not in err and b"Exception ignored" not in err, said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"], said


@pytest.mark.parametrize("quiet", [True, False])
def test_a_ctrl_c_that_python_dropped_still_stops_the_run(tmp_path, capsys, monkeypatch, quiet):
    """Python drops an interrupt raised in a fork hook or a `__del__`, and the repeats that follow it at once are
    ignored (so as not to interrupt a clean-up): the run went on and wrote its output."""
    from tempo_cli.cli import errors
    from tempo_cli.synth.blend import BlendSynthesizer

    monkeypatch.setattr(errors, "_last_stop", [-math.inf])
    monkeypatch.setattr(errors, "_undelivered", [None])
    pair = BlendSynthesizer.pair

    def interrupt_dropped_then_repeated(self, *args):
        if errors._undelivered[0] is None:
            with contextlib.suppress(KeyboardInterrupt):  # as Python does with an exception in a fork hook
                errors._stop(signal.SIGINT, None)
            errors._stop(signal.SIGINT, None)  # a repeat within the window: ignored
        return pair(self, *args)

    monkeypatch.setattr(BlendSynthesizer, "pair", interrupt_dropped_then_repeated)
    src = make_clip(tmp_path / "in.mp4", frames=8, size=(64, 48), audio=False)
    args = ["interpolate", src, "-o", tmp_path / "out.mp4", "--model", "blend"]
    assert run_cli([*args, "-q"] if quiet else args) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "tempo: interrupted; no output written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
    assert errors._undelivered[0] is None


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [
        (signal.SIGINT, 130, "tempo: interrupted; no output written"),
        (signal.SIGTERM, 143, "tempo: stopped by SIGTERM; no output written"),
    ],
)
def test_a_stop_while_the_arguments_are_parsed_is_said_and_not_taken_for_success(
    tmp_path, capsys, monkeypatch, signum, code, line
):
    """Typer turns an interrupt that comes before the command's own guard into a return value of 130, which was
    dropped: the run ended with exit 0, nothing written and nothing said."""
    import typer

    from tempo_cli.cli import errors

    monkeypatch.setattr(errors, "_last_stop", [-math.inf])
    monkeypatch.setattr(errors, "_undelivered", [None])

    def signal_on_entering(self):
        errors._stop(signum, None)

    monkeypatch.setattr(typer._click.core.Context, "__enter__", signal_on_entering)
    src = make_clip(tmp_path / "in.mp4", frames=4)
    assert run_cli(["interpolate", src, "-o", tmp_path / "out.mp4", "--model", "blend"]) == code
    assert capsys.readouterr().err.strip() == line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_a_run_that_finished_is_not_called_interrupted_for_a_stop_python_dropped(tmp_path, capsys, monkeypatch):
    """A stop signal whose interrupt Python dropped after the last frame (in a `__del__`) is not news once the output
    is in place: the run ends 0, as it did before typer's swallowed interrupts were looked for."""
    from tempo_cli.api import Interpolator
    from tempo_cli.cli import errors

    monkeypatch.setattr(errors, "_undelivered", [None])
    finish = Interpolator.interpolate_video

    def finished_then_dropped(self, *args, **kwargs):
        summary = finish(self, *args, **kwargs)
        errors._undelivered[0] = signal.SIGINT
        return summary

    monkeypatch.setattr(Interpolator, "interpolate_video", finished_then_dropped)
    src = make_clip(tmp_path / "in.mp4", frames=4)
    assert run_cli(["interpolate", src, "-o", tmp_path / "out.mp4", "--model", "blend", "-q"]) == 0
    assert (tmp_path / "out.mp4").is_file() and "interrupted" not in capsys.readouterr().err


def test_ctrl_c_after_the_output_is_in_place_says_it_was_written(tmp_path, capsys, monkeypatch):
    """A Ctrl-C just after the final rename said "no output written" beside a complete output."""
    from tempo_cli.api import Interpolator

    def written_then_interrupted(self, src, dst, *args, **kwargs):
        dst.write_bytes(b"a finished video")
        raise KeyboardInterrupt

    monkeypatch.setattr(Interpolator, "interpolate_video", written_then_interrupted)
    src = make_clip(tmp_path / "in.mp4", frames=4)
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--model", "blend", "-q"]) == 130
    assert capsys.readouterr().err.strip() == f"tempo: interrupted; {out} was written"


def test_corrupt_packet_is_skipped_and_counted(tmp_path, capsys):
    src = corrupt_packet(make_clip(tmp_path / "in.mp4", frames=36, size=(64, 48), audio=False))
    out = tmp_path / "out.mp4"
    assert run_cli(["interpolate", src, "-o", out, "--model", "blend"]) == 0
    err = capsys.readouterr().err
    assert "corrupt" in err.lower() and "skipped" in err


def test_unwritable_directory(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only directories; the check is covered in test_video_io")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    src = make_clip(tmp_path / "in.mp4", frames=4)
    assert "writ" in _bad(tmp_path, capsys, [src, "-o", locked / "o.mp4", "--model", "blend"])


def test_save_maps_writes_a_confidence_png_per_synthesized_frame(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=4, fps=Fraction(24), size=(64, 48), audio=False)
    maps = tmp_path / "maps"
    assert run_cli(["interpolate", src, "-o", tmp_path / "out.mp4", "--factor", "2", "--save-maps", maps, "-q"]) == 0
    # 8 output frames numbered from 1 as in a frame folder: the in-between ones, 2, 4 and 6, are synthesized
    # (frame 8 holds the last source frame to keep the duration)
    assert sorted(p.name for p in maps.iterdir()) == ["conf_000002.png", "conf_000004.png", "conf_000006.png"]
    assert not [p for p in tmp_path.iterdir() if ".tempo-" in p.name]
