"""Video layer behaviour a user sees: timestamps, lossless round trips, audio/subtitle carry-over, safe output."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest

from tempo_cli.video import containers
from tempo_cli.video.carry import NO_PADDING, AudioPadding
from tempo_cli.video.containers import holds_video, usable_encoder
from tempo_cli.video.encoding import video_settings
from tempo_cli.video.hdr import ContentLight, HdrMetadata, MasteringDisplay
from tempo_cli.video.imageseq import ImageSequenceReader, ImageSequenceWriter, read_image
from tempo_cli.video.orientation import quarter_turn
from tempo_cli.video.pixels import bit_depth, frame_to_rgb, has_alpha, rgb_to_frame, without_alpha
from tempo_cli.video.reader import (
    VideoError,
    VideoReader,
    iter_video_frames,
    leading_packets,
    stored_interval_rate,
    time_base,
)
from tempo_cli.video.sources import open_sink, open_source
from tempo_cli.video.stretch import AudioStretch, atempo_chain
from tempo_cli.video.subtitle_text import cue_payload, cue_text
from tempo_cli.video.timecode import retimed
from tempo_cli.video.writer import EncodeOptions, VideoWriter, validate_output_path
from tests.media import (
    AUDIO_RATE,
    SUBTITLES,
    TITLE,
    corrupt_packet,
    delay_all_streams,
    drop_leading_video_packets,
    make_audio_only,
    make_clip,
    make_image_folder,
    scene_image,
    yuv_planes,
)

FAST = EncodeOptions(preset="ultrafast")
AAC_FRAME = Fraction(1024, AUDIO_RATE)


def transcode(source: Path, target: Path, options: EncodeOptions = FAST, **kwargs) -> list[str]:
    """Decode `source` and write all its frames to `target` at the source's times; return the warnings."""
    warnings: list[str] = []
    with VideoReader(source) as reader:
        info = reader.info
        with VideoWriter(
            target, info.fps, info.width, info.height, options, source=info, on_warning=warnings.append, **kwargs
        ) as writer:
            for frame in reader:
                writer.write(frame.image, frame.time)
            writer.commit()
    return warnings


def frames_of(path: Path) -> list[np.ndarray]:
    with VideoReader(path) as reader:
        return [frame.image for frame in reader]


def times_of(path: Path) -> list[Fraction]:
    with VideoReader(path) as reader:
        return [frame.time for frame in reader]


def audio_of(path: Path) -> tuple[str, Fraction, np.ndarray]:
    """Codec, decoded duration and decoded samples (mono float at AUDIO_RATE) of the first audio stream."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        codec = stream.codec_context.codec.canonical_name
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        chunks = [f.to_ndarray()[0] for frame in container.decode(stream) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray()[0] for f in resampler.resample(None)]
    samples = np.concatenate(chunks).astype(np.float64)
    return codec, Fraction(samples.size, AUDIO_RATE), samples


def packet_times(path: Path, kind: str) -> list[tuple[Fraction, Fraction]]:
    """(start, duration) in seconds of the packets of the first `kind` stream, as stored in the container."""
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[0]
        return [(p.pts * p.time_base, p.duration * p.time_base) for p in container.demux(stream) if p.size]


def add_scene_stream(out: av.container.OutputContainer, rate: int) -> av.video.stream.VideoStream:
    """A 64x48 H.264 stream (ultrafast) in `out` at `rate` fps, for `mux_scene`."""
    video = out.add_stream("libx264", rate=rate, options={"preset": "ultrafast"})
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    return video


def mux_scene(out: av.container.OutputContainer, video: av.video.stream.VideoStream, frames: int) -> None:
    """Encode the first `frames` frames of the test scene into `video`, one a frame interval apart, and flush it."""
    for index in range(frames):
        frame = av.VideoFrame.from_ndarray(scene_image(index, (64, 48)), format="rgb24")
        frame.pts, frame.time_base = index, 1 / video.codec_context.framerate
        out.mux(video.encode(frame))
    out.mux(video.encode(None))


def audio_extent(path: Path) -> Fraction:
    """Seconds from the first audio packet's start to the last one's end, as stored in the container."""
    packets = packet_times(path, "audio")
    return sum(packets[-1]) - packets[0][0]


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    peak = 65535.0 if a.dtype == np.uint16 else 255.0
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tempo-" in p.name)


# --- reading -------------------------------------------------------------------------------------------------


def test_ntsc_timestamps_are_exact_fractions(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "ntsc.mp4", frames=30, fps=Fraction(30000, 1001))
    with VideoReader(clip) as reader:
        assert reader.info.fps == Fraction(30000, 1001)
        assert reader.info.frame_count == 30
        assert reader.info.duration == Fraction(1001, 1000)
        frames = list(reader)
    assert [f.index for f in frames] == list(range(30))
    assert [f.time for f in frames] == [i * Fraction(1001, 30000) for i in range(30)]
    assert frames[0].image.shape == (48, 64, 3) and frames[0].image.dtype == np.uint8


def test_variable_frame_rate_timestamps_come_back(tmp_path: Path) -> None:
    times = [Fraction(0), Fraction(1, 25), Fraction(1, 10), Fraction(3, 25), Fraction(3, 10), Fraction(31, 100)]
    clip = make_clip(tmp_path / "vfr.mp4", vfr_times=times)
    assert times_of(clip) == times


@pytest.mark.parametrize("dropped", [False, True])
def test_avi_with_b_frames_keeps_its_timeline(tmp_path: Path, dropped: bool) -> None:
    """AVI stores decode times only; H.264 with B-frames there came back with FFmpeg's presentation times out of
    order (each late frame pushed those after it a frame on), and the last frames off by a tick."""
    steps = [i for i in range(30) if not (dropped and i in (7, 19))]
    clip = make_clip(
        tmp_path / "bframes.avi",
        vfr_times=[Fraction(i, 24) for i in steps] if dropped else None,
        time_base=Fraction(1, 24),  # AVI's: a dropped frame is a gap in the decode times
        frames=30,
        audio=False,
        codec_options={"x264-params": "b-adapt=0:bframes=2"},
    )
    with VideoReader(clip) as reader:
        assert [f.time for f in reader] == [Fraction(i, 24) for i in steps]


def test_avi_with_b_frames_keeps_its_audio_in_sync(tmp_path: Path) -> None:
    """The clip's audio and picture both start at 0. FFmpeg times AVI's first picture a slot late, and the decoder
    brings it out two slots late: the audio came out 40 ms early against the picture."""
    clip = make_clip(
        tmp_path / "bframes.avi", frames=24, audio_codec="mp2", codec_options={"x264-params": "b-adapt=0:bframes=2"}
    )
    target = tmp_path / "out.mkv"
    transcode(clip, target)
    (video_start, _), (audio_start, _) = packet_times(target, "video")[0], packet_times(target, "audio")[0]
    assert abs(audio_start - video_start) < Fraction(1, 1000)


@pytest.mark.skipif(not usable_encoder("libx265"), reason="this FFmpeg has no libx265")
def test_mp4_is_found_to_hold_hevc_every_time() -> None:
    """The container check encoded one frame, to which x265 gave a random decode time now and then: HEVC output
    was refused as "mp4 files cannot hold libx265 video" in some runs."""
    for _ in range(8):
        containers._trial.cache_clear()
        assert holds_video("mp4", "libx265")


def test_avi_on_a_fine_clock_is_read_at_its_picture_rate(tmp_path: Path) -> None:
    """An MP4 copied into AVI gets a 1/600 s clock, and AVI lists an empty frame for each tick without a picture:
    its average rate is 600 fps, against FFmpeg's guess of 24. Output on that grid repeated each frame 25 times."""
    clip = make_clip(tmp_path / "clock.avi", vfr_times=[Fraction(i, 24) for i in range(24)], audio=False)
    with VideoReader(clip) as reader:
        assert reader.info.fps == 24
        assert [f.time for f in reader] == [Fraction(i, 24) for i in range(24)]


def test_frames_without_timestamps_follow_the_frame_rate(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "raw.h264", frames=6, audio=False)  # raw H.264 stream: no pts at all
    with VideoReader(clip) as reader:
        assert [f.time for f in reader] == [i / reader.info.fps for i in range(6)]


def test_corrupt_packet_mid_stream_is_skipped_with_a_warning(tmp_path: Path) -> None:
    clip = corrupt_packet(make_clip(tmp_path / "corrupt.mp4", frames=36, size=(96, 64), audio=False))
    warnings: list[str] = []
    with VideoReader(clip, on_warning=warnings.append) as reader:
        times = [f.time for f in reader]
        assert reader.skipped_packets == 1
    assert len(warnings) == 1 and "corrupt" in warnings[0]
    assert len(times) == 35 and times[-1] == Fraction(35, 24)
    assert times == sorted(set(times))


def test_a_stream_that_changes_size_is_read_at_its_first_size(tmp_path: Path) -> None:
    """Two MPEG-TS clips of different sizes, one after the other (a broadcast or adaptive stream): every frame is
    scaled to the first size, with one warning, instead of the run failing at the first frame of the new size."""
    first = make_clip(tmp_path / "small.ts", frames=4, size=(64, 48), audio=False)
    second = make_clip(tmp_path / "large.ts", frames=4, size=(96, 64), audio=False)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    warnings: list[str] = []
    with VideoReader(joined, on_warning=warnings.append) as reader:
        shapes = [f.image.shape for f in reader]
    assert shapes == [(48, 64, 3)] * 8
    assert len(warnings) == 1 and "64x48 to 96x64 at frame 4" in warnings[0]


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("missing.mp4", None, "input not found"),
        ("folder", lambda p: p.mkdir(), "is a directory"),
        ("notes.mp4", lambda p: p.write_text("just some text, not a video\n" * 20), "not a readable video file"),
        ("tone.wav", make_audio_only, "no video stream"),
        ("tone.mp3", lambda p: make_audio_only(p, codec="mp3"), "no video stream"),
    ],
)
def test_bad_input_raises_one_clear_video_error(tmp_path: Path, name, make, message) -> None:
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(VideoError, match=message) as caught:
        VideoReader(path)
    assert "\n" not in str(caught.value)


def test_iter_video_frames_gives_uint8_even_for_10_bit(tmp_path: Path) -> None:
    if "yuv420p10le" not in {f.name for f in av.codec.Codec("libx264", "w").video_formats}:
        pytest.skip("this libx264 build has no 10-bit support")
    clip = make_clip(tmp_path / "ten.mp4", frames=3, pix_fmt="yuv420p10le", audio=False)
    frames = list(iter_video_frames(clip))
    assert len(frames) == 3 and frames[0].dtype == np.uint8


# --- writing video -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "suffix", "requested", "pix_fmt"),
    [
        ("libx264", ".mp4", None, "yuv420p"),
        ("ffv1", ".mkv", None, "yuv420p"),
        ("libx264", ".mp4", "yuv444p", "yuv444p"),
        ("ffv1", ".mkv", "bgr0", "bgr0"),
    ],
)
def test_lossless_round_trip_is_exact_up_to_the_colour_conversion(
    tmp_path: Path, codec, suffix, requested, pix_fmt
) -> None:
    """A = decoded source frames; B = A encoded losslessly and decoded again; C = A converted in memory to the
    writer's pixel format and back (no codec). B must be as close to A as C is: the codec adds no loss. Unless asked
    for another format, lossless output keeps the source's (4:2:0 had become 4:4:4 or RGB, which changed the source
    frames' luma by up to 24 levels where their colours lie outside RGB)."""
    source = make_clip(tmp_path / "source.mp4", frames=8, size=(176, 144))
    target = tmp_path / f"lossless{suffix}"
    transcode(source, target, EncodeOptions(codec=codec, lossless=True, preset="ultrafast", pix_fmt=requested))
    with VideoReader(target) as reader:
        assert reader.info.pix_fmt == pix_fmt
    a, b = frames_of(source), frames_of(target)
    assert len(b) == len(a)
    info = VideoReader(source).info
    if pix_fmt == info.pix_fmt:  # the source's YUV pictures pass through untouched
        assert all(np.array_equal(x, y) for x, y in zip(yuv_planes(source), yuv_planes(target), strict=True))
        return
    for original, decoded in zip(a, b, strict=True):
        converted = frame_to_rgb(rgb_to_frame(original, pix_fmt, info.colorspace, info.color_range), False)
        assert psnr(original, decoded) >= psnr(original, converted) - 0.5
        assert np.array_equal(decoded, converted)
        assert pix_fmt != "bgr0" or np.array_equal(decoded, original)  # RGB storage: bit-exact


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv422p", "yuv444p"])
@pytest.mark.parametrize(
    ("colorspace", "color_range"),
    [
        (1, 1),
        (5, 1),
        (1, 2),
    ],
)
def test_colour_conversion_has_no_bias(pix_fmt: str, colorspace: int, color_range: int) -> None:
    """RGB -> YUV -> RGB of 64 flat colours stays within rounding: no channel drifts darker or lighter on average
    (synthesized frames go through it and sit between source frames that are passed through untouched)."""
    colours = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    image = np.repeat(np.repeat(colours, 16, axis=0), 16, axis=1)
    frame = rgb_to_frame(image, pix_fmt, colorspace, color_range)
    frame.colorspace, frame.color_range = colorspace, color_range
    error = frame_to_rgb(frame, False).astype(int) - image
    inside = error.reshape(8, 16, 8, 16, 3)[:, 4:12, :, 4:12]  # away from the patches' edges (chroma subsampling)
    assert np.abs(inside.mean(axis=(0, 1, 2, 3))).max() <= 0.25
    assert np.abs(inside).max() <= 2


@pytest.mark.parametrize("pix_fmt", ["yuv420p10le", "yuv444p10le"])
@pytest.mark.parametrize("color_range", [1, 2])
def test_high_depth_colour_conversion_has_no_bias(pix_fmt: str, color_range: int) -> None:
    """16-bit RGB -> 10-bit YUV -> 16-bit RGB of 64 flat colours stays within a quarter of an 8-bit level on average
    (10-bit sources go through it; 4:2:0 read with full-resolution chroma had come out tens of levels off)."""
    colours = np.random.default_rng(0).integers(0, 65536, (8, 8, 3), dtype=np.uint16)
    image = np.repeat(np.repeat(colours, 16, axis=0), 16, axis=1)
    frame = rgb_to_frame(image, pix_fmt, 1, color_range)
    frame.colorspace, frame.color_range = 1, color_range
    error = (frame_to_rgb(frame, True).astype(int) - image) / 257
    inside = error.reshape(8, 16, 8, 16, 3)[:, 4:12, :, 4:12]
    assert np.abs(inside.mean(axis=(0, 1, 2, 3))).max() <= 0.25
    assert np.abs(inside).max() <= 2


def h273_grey_levels(depth: int, color_range: int, greys: np.ndarray) -> np.ndarray:
    """Luma of greys in [0, 1] at `depth` bits, unrounded (ITU-T H.273).

    Limited range spans 16..235 << (depth - 8), full range 0..2^depth - 1."""
    low, high = (0, (1 << depth) - 1) if color_range == 2 else (16 << (depth - 8), 235 << (depth - 8))
    return low + greys * (high - low)


@pytest.mark.parametrize(
    ("pix_fmt", "color_range"),
    [
        *((f, r) for f in ("yuv420p10le", "yuv444p12le", "yuv444p16le", "yuva444p12le") for r in (1, 2)),
        ("yuv420p10be", 1),
        ("yuvj420p", 2),
    ],
)
def test_high_depth_greys_are_written_and_read_at_their_standard_levels(pix_fmt: str, color_range: int) -> None:
    """16-bit RGB greys become the standard luma levels and those levels read back as the same greys (swscale puts
    16-bit RGB white at 65280 on the YUV side: 16-bit white written as 10-bit limited YUV had come out 943, not 940;
    and it reads white at levels that differ by format: 65283 from 12-bit limited YUV with alpha, 65535 from
    yuvj420p)."""
    depth = bit_depth(pix_fmt)
    samples = np.dtype(np.uint8) if depth <= 8 else np.dtype(">u2" if pix_fmt.endswith("be") else "<u2")
    greys = np.rint(np.linspace(0, 1, 9) * 65535) / 65535
    image = np.repeat(np.repeat(np.rint(greys * 65535).astype(np.uint16), 16)[None, :, None], 16, 0).repeat(3, 2)
    frame = rgb_to_frame(image, pix_fmt, 1, color_range)
    luma = np.frombuffer(memoryview(frame.planes[0]), samples).reshape(frame.height, -1)[0, 8 : frame.width : 16]
    chroma = np.frombuffer(memoryview(frame.planes[1]), samples).reshape(frame.planes[1].height, -1)
    assert np.abs(luma - h273_grey_levels(depth, color_range, greys)).max() <= 0.51  # rounded
    assert np.all(chroma[:, : frame.planes[1].width] == 1 << (depth - 1))
    frame.colorspace, frame.color_range = 1, color_range
    levels = h273_grey_levels(depth, color_range, np.array([0.0, 1.0]))
    stored = (luma - levels[0]) / (levels[1] - levels[0]) * 65535  # the grey each written level stands for
    read = frame_to_rgb(frame, True)[0, 8::16].astype(int)
    assert np.abs(read - stored[:, None]).max() <= 8  # of 65535: a 32nd of an 8-bit level


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv422p", "yuv420p10le"])
def test_colour_edges_survive_a_round_trip_through_rgb(pix_fmt: str) -> None:
    """A frame read as frames bound for a video are and written back, as a synthesized frame of a still picture is,
    keeps its YUV at colour edges: with bilinear chroma both ways its chroma had moved by up to 40 levels there, a
    flicker beside the source frames that pass through untouched."""
    high_depth = bit_depth(pix_fmt) > 8
    colours = np.random.default_rng(0).integers(0, 256, (6, 8, 3))
    image = np.repeat(np.repeat(colours, 16, axis=0), 16, axis=1)
    image = (image * 257).astype(np.uint16) if high_depth else image.astype(np.uint8)
    frame = rgb_to_frame(image, pix_fmt, 1, 1)
    frame.colorspace, frame.color_range = 1, 1
    again = rgb_to_frame(frame_to_rgb(frame, high_depth, "repeat"), pix_fmt, 1, 1)
    dtype = np.dtype("<u2") if high_depth else np.dtype(np.uint8)
    for before, after in zip(frame.planes, again.planes, strict=True):
        a = np.frombuffer(memoryview(before), dtype).reshape(before.height, -1)[:, : before.width].astype(int)
        b = np.frombuffer(memoryview(after), dtype).reshape(after.height, -1)[:, : after.width].astype(int)
        assert np.abs(b - a).max() <= 1


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv422p10le"])
def test_odd_sized_subsampled_chroma_stays_over_its_own_pixels(pix_fmt: str) -> None:
    """A 4:2:0 or 4:2:2 frame of odd size reads as the same frame one pixel larger (its chroma planes hold the extra
    pixels already), cropped: swscale had stretched ceil(n / 2) chroma samples over n pixels, a drift of up to a pixel
    at the far edges, 50 levels on average there for random chroma."""
    width, height = 65, 33
    fmt = av.VideoFormat(pix_fmt)
    top = (1 << bit_depth(pix_fmt)) - 1
    rng = np.random.default_rng(0)
    odd, padded = av.VideoFrame(width, height, pix_fmt), av.VideoFrame(width + 1, height + 1, pix_fmt)
    dtype = np.dtype("<u2") if top > 255 else np.dtype(np.uint8)
    luma = rng.integers(top // 16, top - top // 16, (height, width)).astype(dtype)
    planes = [luma] + [rng.integers(0, top, (fmt.chroma_height(height), fmt.chroma_width(width))).astype(dtype)] * 2
    for index, values in enumerate(planes):
        bigger = np.pad(
            values,
            ((0, padded.planes[index].height - values.shape[0]), (0, padded.planes[index].width - values.shape[1])),
            mode="edge",
        )
        for frame, rows in ((odd, values), (padded, bigger)):
            frame.planes[index].update(
                np.pad(rows, ((0, 0), (0, frame.planes[index].line_size // dtype.itemsize - rows.shape[1]))).tobytes()
            )
    for frame in (odd, padded):
        frame.colorspace, frame.color_range = 1, 1
    for chroma in ("repeat", "bilinear"):
        expected = frame_to_rgb(padded, top > 255, chroma)[:height, :width]
        assert np.array_equal(frame_to_rgb(odd, top > 255, chroma), expected)


def test_10_bit_video_reads_in_its_own_colours(tmp_path: Path) -> None:
    if "yuv420p10le" not in {f.name for f in av.codec.Codec("libx264", "w").video_formats}:
        pytest.skip("this libx264 build has no 10-bit support")
    clip = make_clip(
        tmp_path / "ten.mp4", frames=2, size=(128, 96), pix_fmt="yuv420p10le", audio=False, codec_options={"qp": "0"}
    )
    for index, image in enumerate(frames_of(clip)):
        assert image.dtype == np.uint16
        error = (image.astype(float) - scene_image(index, (128, 96), high_depth=True)) / 257
        assert np.abs(error.mean(axis=(0, 1))).max() <= 1


def test_output_timestamps_do_not_drift_at_24000_1001(tmp_path: Path) -> None:
    fps = Fraction(24000, 1001)
    target = tmp_path / "long.mp4"
    image = np.zeros((16, 16, 3), np.uint8)
    with VideoWriter(target, fps, 16, 16, FAST) as writer:
        for i in range(600):
            writer.write(image, i / fps)
        writer.commit()
    times = times_of(target)
    assert len(times) == 600 and times[-1] == 599 * Fraction(1001, 24000)
    assert times == [i / fps for i in range(600)]


def test_output_keeps_frame_times_and_duration(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "source.mp4", frames=30, fps=Fraction(30000, 1001))
    target = tmp_path / "copy.mp4"
    transcode(source, target)
    assert times_of(target) == times_of(source)
    assert VideoReader(target).info.duration == VideoReader(source).info.duration


# An HDR10 grade as x265 takes it: P3 primaries, D65 white, 1000 to 0.005 cd/m^2; MaxCLL 1000, MaxFALL 400.
HDR10_X265 = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"
HDR10 = HdrMetadata(
    MasteringDisplay(
        red=(Fraction(34000, 50000), Fraction(16000, 50000)),
        green=(Fraction(13250, 50000), Fraction(34500, 50000)),
        blue=(Fraction(7500, 50000), Fraction(3000, 50000)),
        white=(Fraction(15635, 50000), Fraction(16450, 50000)),
        min_luminance=Fraction(50, 10000),
        max_luminance=Fraction(1000),
    ),
    ContentLight(max_cll=1000, max_fall=400),
)


def make_hdr10_clip(path: Path) -> Path:
    if not usable_encoder("libx265"):
        pytest.skip("this FFmpeg has no libx265")
    params = f"log-level=error:master-display={HDR10_X265}:max-cll=1000,400"
    return make_clip(
        path, frames=4, audio=False, codec="libx265", pix_fmt="yuv420p10le", codec_options={"x265-params": params}
    )


def test_hdr10_metadata_is_read(tmp_path: Path) -> None:
    assert VideoReader(make_hdr10_clip(tmp_path / "hdr.mp4")).info.hdr == HDR10
    assert VideoReader(make_clip(tmp_path / "sdr.mp4", frames=2, audio=False)).info.hdr is None


@pytest.mark.parametrize("codec", ["libx265", "libx264"])
def test_hdr10_metadata_survives(tmp_path: Path, codec: str) -> None:
    """Mastering display and light levels are written again: without them a player guesses the grade's brightness."""
    if not usable_encoder(codec) or "yuv420p10le" not in {f.name for f in av.codec.Codec(codec, "w").video_formats}:
        pytest.skip(f"this FFmpeg has no 10-bit {codec}")
    source = make_hdr10_clip(tmp_path / "hdr.mp4")
    target = tmp_path / "out.mp4"
    warnings = transcode(source, target, EncodeOptions(codec=codec, preset="ultrafast"))
    assert VideoReader(target).info.hdr == HDR10
    assert not [w for w in warnings if "HDR10" in w]


def test_hdr10_metadata_an_encoder_cannot_store_is_reported(tmp_path: Path) -> None:
    source = make_hdr10_clip(tmp_path / "hdr.mp4")
    target = tmp_path / "out.mkv"
    warnings = transcode(source, target, EncodeOptions(codec="libvpx-vp9", preset="ultrafast"))
    assert VideoReader(target).info.hdr is None
    assert [w for w in warnings if "HDR10" in w and "libvpx-vp9" in w]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_colour_tags_rotation_and_title_survive(tmp_path: Path, suffix) -> None:
    source = make_clip(tmp_path / "source.mp4", frames=6, rotation=90)
    target = tmp_path / f"out{suffix}"
    transcode(source, target)
    before, after = VideoReader(source).info, VideoReader(target).info
    assert (before.color_range, before.colorspace, before.color_primaries, before.color_trc) == (1, 1, 1, 1)
    tags = ("color_range", "colorspace", "color_primaries", "color_trc")
    assert [getattr(after, t) for t in tags] == [getattr(before, t) for t in tags]
    assert before.rotation == after.rotation == 90
    assert after.metadata.get("title") == TITLE


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_mirroring_and_the_pixel_aspect_ratio_survive(tmp_path: Path, suffix) -> None:
    """A front camera's mirrored, rotated picture (ffmpeg -display_rotation 90 -display_hflip) and anamorphic pixels."""
    mirrored_quarter_turn = (0, -(1 << 16), 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    source = make_clip(
        tmp_path / "source.mp4", frames=6, display_matrix=mirrored_quarter_turn, pixel_aspect=Fraction(2)
    )
    target = tmp_path / f"out{suffix}"
    transcode(source, target)
    before, after = VideoReader(source).info, VideoReader(target).info
    assert before.display_matrix == after.display_matrix == mirrored_quarter_turn
    assert before.sample_aspect_ratio == after.sample_aspect_ratio == 2


ONE = 1 << 16


@pytest.mark.parametrize(
    ("matrix", "shown"),
    [  # display matrices as ffmpeg -display_rotation R [-display_hflip | -display_vflip] writes them
        ((-ONE, 0, 0, 0, ONE), np.fliplr),
        ((ONE, 0, 0, 0, -ONE), np.flipud),
        ((-ONE, 0, 0, 0, -ONE), lambda image: np.rot90(image, 2)),
        ((0, -ONE, 0, ONE, 0), np.rot90),
        ((0, ONE, 0, -ONE, 0), lambda image: np.rot90(image, -1)),
        ((0, -ONE, 0, -ONE, 0), lambda image: np.fliplr(np.rot90(image))),
        ((0, ONE, 0, ONE, 0), lambda image: np.flipud(np.rot90(image))),
    ],
)
def test_a_quarter_turn_shows_the_image_as_ffmpeg_does(matrix, shown) -> None:
    image = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    turn = quarter_turn((*matrix, 0, 0, 0, 1 << 30))
    assert turn is not None and np.array_equal(turn.apply(image), shown(image))


def test_a_turn_between_quarter_turns_is_not_one() -> None:
    eighth = round(ONE / math.sqrt(2))
    assert quarter_turn((eighth, -eighth, 0, eighth, eighth, 0, 0, 0, 1 << 30)) is None


def test_track_flags_survive(tmp_path: Path) -> None:
    """Which tracks are default or forced stays as the source has it."""
    source = make_clip(tmp_path / "source.mkv", frames=12, subtitles=True, forced_subtitles=True, default_audio=True)
    target = tmp_path / "out.mkv"
    transcode(source, target)
    with av.open(str(source)) as before, av.open(str(target)) as after:
        flags = [[(s.type, s.disposition) for s in c.streams] for c in (before, after)]
    assert flags[1][1:] == flags[0][1:]
    assert ("subtitle", av.stream.Disposition.forced) in flags[1]
    assert ("audio", av.stream.Disposition.default) in flags[1]
    assert flags[1][0] == ("video", av.stream.Disposition.default)


def test_ten_bit_input_stays_ten_bit(tmp_path: Path) -> None:
    if "yuv420p10le" not in {f.name for f in av.codec.Codec("libx264", "w").video_formats}:
        pytest.skip("this libx264 build has no 10-bit support")
    source = make_clip(tmp_path / "ten.mp4", frames=4, pix_fmt="yuv420p10le", audio=False)
    target = tmp_path / "out.mp4"
    transcode(source, target)
    with VideoReader(target) as reader:
        assert (reader.info.pix_fmt, reader.info.bit_depth) == ("yuv420p10le", 10)
        frames = [f.image for f in reader]
    assert frames[0].dtype == np.uint16
    assert np.any(frames[0] % 257 != 0)  # levels between the 8-bit ones (8-bit data scaled up is a multiple of 257)
    assert psnr(frames_of(source)[0], frames[0]) > 30  # the same picture (lossy crf 18 at 64x48)


@pytest.mark.parametrize(
    ("codec", "pix_fmt", "size", "depth", "warned"),
    [
        ("libx265", "yuv420p12le", (64, 48), 12, False),
        ("libx264", "yuv420p12le", (64, 48), 10, True),
        ("libx265", "yuv444p12le", (65, 48), 12, False),  # an odd width: 4:4:4, still 12 bits
    ],
)
def test_twelve_bit_input_keeps_what_the_encoder_can(
    tmp_path: Path, codec: str, pix_fmt: str, size: tuple[int, int], depth: int, warned: bool
) -> None:
    for name in ("libx265", codec):
        if not usable_encoder(name) or "yuv420p12le" not in {
            f.name for f in av.codec.Codec("libx265", "w").video_formats
        }:
            pytest.skip(f"this FFmpeg has no 12-bit libx265 or no {codec}")
    params = {"x265-params": "log-level=error"}
    source = make_clip(
        tmp_path / "twelve.mkv",
        frames=3,
        codec="libx265",
        pix_fmt=pix_fmt,
        size=size,
        audio=False,
        codec_options=params,
    )
    target = tmp_path / "out.mkv"
    warnings = transcode(source, target, EncodeOptions(codec=codec, preset="ultrafast"))
    assert VideoReader(target).info.bit_depth == depth
    assert (f"{codec} cannot store 12-bit video; writing 10-bit" in warnings) == warned


@pytest.mark.parametrize(
    ("codec", "suffix", "kept"), [("mpeg4", ".avi", False), ("libx264", ".avi", True), ("png", ".mov", True)]
)
def test_an_output_that_cannot_keep_colour_tags_says_so(tmp_path: Path, codec: str, suffix: str, kept: bool) -> None:
    """MPEG-4 Part 2 in AVI has no place for them (H.264 keeps them in its bitstream; RGB has no matrix to keep)."""
    source = make_clip(tmp_path / "in.mp4", frames=3, audio=False)
    target = tmp_path / f"out{suffix}"
    warnings = transcode(source, target, EncodeOptions(codec=codec, preset="ultrafast"))
    assert (VideoReader(target).info.color_primaries == 1) == kept
    assert any(f"{codec} video in a {suffix} file cannot keep its colour tags" in w for w in warnings) != kept


def test_yuv_made_from_rgb_is_tagged_bt709(tmp_path: Path) -> None:
    """Frames of images are all converted here: the video says with which matrix (untagged, a player guesses from
    the frame size, and a wrong guess moves green by 6 levels)."""
    images = ImageSequenceReader(make_image_folder(tmp_path / "frames", frames=3, size=(96, 64)), Fraction(24))
    target = tmp_path / "out.mp4"
    with VideoWriter(target, Fraction(24), 96, 64, FAST, source=images.info) as writer:
        for frame in images:
            writer.write(frame.image, frame.time)
        writer.commit()
    info = VideoReader(target).info
    assert (info.pix_fmt, info.colorspace, info.color_range) == ("yuv420p", 1, 1)
    for before, after in zip((frame.image for frame in images), frames_of(target), strict=True):
        assert np.abs((after.astype(float) - before).mean(axis=(0, 1))).max() < 1


@pytest.mark.parametrize(
    ("suffix", "video_codec", "audio_encoder"),
    [(".webm", "vp9", "libopus"), (".ogv", "vp8", "libopus"), (".mpg", "h264", "mp2")],
)
def test_the_default_codecs_suit_containers_that_cannot_hold_h264_or_aac(
    tmp_path: Path, suffix: str, video_codec: str, audio_encoder: str
) -> None:
    source = make_clip(tmp_path / "source.mp4", frames=12)
    target = tmp_path / f"out{suffix}"
    warnings = transcode(source, target, EncodeOptions(preset="medium"))  # libvpx's faster presets vary run to run
    audio_note = f"the {suffix} container cannot hold aac audio; re-encoding it to {audio_encoder}"
    colour_note = "libvpx video in a .ogv file cannot keep its colour tags"  # VP8 and Ogg have no place for them
    assert [w for w in warnings if not w.startswith(colour_note)] == [audio_note]
    assert any(w.startswith(colour_note) for w in warnings) == (suffix == ".ogv")
    with av.open(str(target)) as container:
        assert container.streams.video[0].codec_context.codec.name == video_codec
    assert psnr(frames_of(source)[6], frames_of(target)[6]) > 28  # the frames beside it are 24.3 dB from it
    codec, length, _ = audio_of(target)
    assert codec == audio_encoder.removeprefix("lib")
    assert abs(length - audio_of(source)[1]) <= 2 * AAC_FRAME


def test_the_preset_sets_libvpx_speed() -> None:
    slow = video_settings(EncodeOptions(preset="veryslow"), 64, 48, None, "webm")
    fast = video_settings(EncodeOptions(preset="ultrafast"), 64, 48, None, "webm")
    assert slow.codec == fast.codec == "libvpx-vp9"
    assert (slow.options["deadline"], slow.options["cpu-used"]) == ("good", "0")
    assert (fast.options["deadline"], fast.options["cpu-used"]) == ("realtime", "8")
    with pytest.raises(VideoError, match="no preset 'quick'"):
        video_settings(EncodeOptions(preset="quick"), 64, 48, None, "webm")


@pytest.mark.parametrize(
    ("suffix", "codec", "container"),
    [(".ts", "libvpx-vp9", "mpegts"), (".mpg", "ffv1", "mpeg"), (".ogv", "libx264", "ogv")],
)
def test_a_codec_the_container_cannot_hold_is_refused_before_writing(
    tmp_path: Path, suffix: str, codec: str, container: str
) -> None:
    """MPEG-TS and MPEG-PS would store VP9 or FFV1 as an opaque data stream: a file without a picture."""
    with pytest.raises(VideoError, match=f"^{container} files cannot hold {codec} video"):
        VideoWriter(tmp_path / f"x{suffix}", Fraction(24), 64, 48, EncodeOptions(codec=codec))
    assert leftovers(tmp_path) == []


def test_unknown_codec_is_a_video_error(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="unknown codec nonesuch"):
        VideoWriter(tmp_path / "x.mp4", Fraction(24), 64, 48, EncodeOptions(codec="nonesuch"))
    assert leftovers(tmp_path) == []


# --- atomic output -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_while_writing_leaves_no_file(tmp_path: Path, error) -> None:
    source = make_clip(tmp_path / "source.mp4", frames=6)
    target = tmp_path / "out.mp4"
    with pytest.raises(error), VideoWriter(target, Fraction(24), 64, 48, FAST, source=VideoReader(source).info) as w:
        w.write(scene_image(0, (64, 48)), Fraction(0))
        assert leftovers(tmp_path) != []  # the hidden temporary file exists meanwhile
        raise error
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_an_encoder_failure_is_one_video_error_and_no_file_appears(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    writer = VideoWriter(target, Fraction(24), 64, 48, FAST)

    def broken_encoder(*_args: object, **_kwargs: object) -> None:
        raise av.error.FFmpegError(-5, "Input/output error")

    writer._encode = broken_encoder  # type: ignore[method-assign]
    writer.write(scene_image(0, (64, 48)), Fraction(0))  # encoded later, on the writer's thread
    with pytest.raises(VideoError, match="Input/output error"):
        for i in range(1, 50):
            writer.write(scene_image(i, (64, 48)), Fraction(i, 24))
        writer.commit()
    with pytest.raises(VideoError, match="Input/output error"):  # still failed: no file with frames missing
        writer.commit()
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_rgb_output_keeps_the_image_as_it_was_when_written(tmp_path: Path) -> None:
    target = tmp_path / "out.mov"
    writer = VideoWriter(target, Fraction(24), 64, 48, EncodeOptions(codec="png"))
    encode = writer._encode

    def slow_encoder(*args: object, **kwargs: object) -> None:
        time.sleep(0.2)  # the caller reuses its buffer before the frame is encoded
        encode(*args, **kwargs)

    writer._encode = slow_encoder  # type: ignore[method-assign]
    image = scene_image(0, (64, 48))
    expected = image.copy()
    writer.write(image, Fraction(0))
    image[:] = 0
    writer.commit()
    assert np.array_equal(frames_of(target)[0], expected)


def test_close_without_commit_deletes_the_temporary_file(tmp_path: Path) -> None:
    writer = VideoWriter(tmp_path / "out.mkv", Fraction(24), 64, 48, FAST)
    writer.write(scene_image(0, (64, 48)), Fraction(0))
    writer.close()
    assert list(tmp_path.iterdir()) == []


def test_commit_replaces_the_target_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    target.write_bytes(b"previous output")
    with VideoWriter(target, Fraction(24), 64, 48, FAST) as writer:
        for i in range(3):
            writer.write(scene_image(i, (64, 48)), Fraction(i, 24))
        (temporary,) = leftovers(tmp_path)
        assert temporary.startswith(".") and temporary.endswith(".mp4")
        assert target.read_bytes() == b"previous output"
        writer.commit()
    assert len(times_of(target)) == 3
    assert leftovers(tmp_path) == []


def test_validate_output_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = make_clip(tmp_path / "in.mp4", frames=2, audio=False)
    with pytest.raises(VideoError, match="overwrite the input"):
        validate_output_path(tmp_path / "sub" / ".." / "in.mp4", source, overwrite=True)
    (tmp_path / "link.mp4").symlink_to(source)
    with pytest.raises(VideoError, match="overwrite the input"):
        validate_output_path(tmp_path / "link.mp4", source, overwrite=True)
    (tmp_path / "old.mp4").write_bytes(b"x")
    with pytest.raises(VideoError, match="already exists"):
        validate_output_path(tmp_path / "old.mp4", source, overwrite=False)
    validate_output_path(tmp_path / "old.mp4", source, overwrite=True)
    with pytest.raises(VideoError, match="folder does not exist"):
        validate_output_path(tmp_path / "missing" / "out.mp4", source, overwrite=False)
    (tmp_path / "frames").mkdir()
    with pytest.raises(VideoError, match="already exists"):
        validate_output_path(tmp_path / "frames", source, overwrite=False)
    validate_output_path(tmp_path / "frames", source, overwrite=True)  # an image folder target may be replaced
    (tmp_path / "frames" / "frame_000001.png").write_bytes(b"")
    (tmp_path / "frames" / "conf_000001.png").write_bytes(b"")
    validate_output_path(tmp_path / "frames", source, overwrite=True)  # ... when it holds only tempo's images
    (tmp_path / "frames" / "notes.txt").write_bytes(b"")
    with pytest.raises(VideoError, match="other than tempo's frames"):
        validate_output_path(tmp_path / "frames", source, overwrite=True)
    (tmp_path / "clip.mkv").mkdir()
    with pytest.raises(VideoError, match="existing folder, not a file"):
        validate_output_path(tmp_path / "clip.mkv", source, overwrite=True)
    with pytest.raises(VideoError, match="existing file"):
        validate_output_path(f"{tmp_path / 'old.mp4'}/", source, overwrite=True)
    with pytest.raises(VideoError, match=r"unknown output type '\.gif'"):
        validate_output_path(tmp_path / "anim.gif", source, overwrite=False)
    validate_output_path(f"{tmp_path / 'frames.v2'}/", source, overwrite=False)  # a trailing / makes it a folder
    validate_output_path(tmp_path / "frames.v2", source, overwrite=False, folder=True)
    validate_output_path(tmp_path / "frames.v1_x2", source, overwrite=False)  # a folder's default output name
    validate_output_path(tmp_path / "new.mkv", None, overwrite=False)
    # Running as root makes every folder writable, so simulate a read-only folder.
    monkeypatch.setattr(os, "access", lambda *_args, **_kwargs: False)
    with pytest.raises(VideoError, match="not writable"):
        validate_output_path(tmp_path / "new.mkv", None, overwrite=False)


# --- audio and subtitles -------------------------------------------------------------------------------------


def test_audio_is_copied_without_re_encoding(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "source.mp4", frames=24)
    target = tmp_path / "out.mkv"  # another container, and a lossless video codec
    assert transcode(source, target, EncodeOptions(codec="ffv1")) == []
    assert audio_packets(target) == audio_packets(source)  # the same AAC packets, byte for byte
    assert audio_of(source)[0] == audio_of(target)[0] == "aac"
    assert abs(audio_extent(target) - audio_extent(source)) <= AAC_FRAME
    # same frames at the same times (Matroska stores milliseconds), so the same video duration
    pairs = zip(times_of(target), times_of(source), strict=True)
    assert all(abs(a - b) <= Fraction(1, 1000) for a, b in pairs)


def test_pcm_audio_from_matroska_is_copied_into_mp4(tmp_path: Path) -> None:
    # This FFmpeg stores PCM in MP4 (ISO/IEC 23003-5), but only with channel positions, which Matroska PCM lacks:
    # the writer labels the two channels stereo instead of failing at the end or re-encoding.
    source = make_clip(tmp_path / "source.mkv", frames=12, audio_codec="pcm_s16le")
    target = tmp_path / "out.mp4"
    assert transcode(source, target) == []
    assert audio_of(target)[0] == "pcm_s16le"
    assert b"".join(audio_packets(target)) == b"".join(audio_packets(source))


@pytest.mark.parametrize("audio_codec", ["flac", "libopus"])
def test_audio_the_container_cannot_hold_is_re_encoded_to_aac(tmp_path: Path, audio_codec) -> None:
    # FFmpeg's mov muxer refuses FLAC and Opus in .mov ("codec not currently supported in container").
    source = make_clip(tmp_path / "source.mkv", frames=24, audio_codec=audio_codec)
    warnings = transcode(source, tmp_path / "out.mov")
    assert len(warnings) == 1 and "re-encoding it to aac" in warnings[0]
    codec, length, _ = audio_of(tmp_path / "out.mov")
    assert codec == "aac"
    assert abs(length - audio_of(source)[1]) <= AAC_FRAME


@pytest.mark.parametrize(("from_source", "added"), [(24, 6), (24, 18), (12, 0)])
def test_audio_padding_adds_silence_before_and_up_to_the_pictures_end(tmp_path: Path, from_source, added) -> None:
    """Frames added after a clip (extrapolation) extend its audio with silence to the picture's new end: the audio
    had grown by the added frames' time alone, so a track shorter than its picture stayed short, and a track longer
    than its picture got silence it did not need."""
    source = make_clip(tmp_path / "source.mp4", frames=24)
    target = tmp_path / "padded.mp4"
    warnings: list[str] = []
    info = VideoReader(source).info
    lead = Fraction(1, 2)
    padding = AudioPadding(lead, to_end=True)
    with VideoWriter(
        target, info.fps, 64, 48, FAST, source=info, audio_padding=padding, on_warning=warnings.append
    ) as w:
        frames = list(VideoReader(source))[:from_source]
        for frame in frames:
            w.write(frame.image, frame.time + lead)
        for k in range(1, added + 1):
            w.write(frames[-1].image, frames[-1].time + lead + k / info.fps)
        w.commit()
    assert warnings == []
    _, length_in, _ = audio_of(source)
    picture_end = lead + Fraction(from_source + added, 24)
    codec, length, samples = audio_of(target)
    assert codec == "aac"
    assert abs(length - max(lead + length_in, picture_end)) <= AAC_FRAME
    sound_end = float(lead + length_in)
    rms = [
        np.sqrt(np.mean(samples[round(a * AUDIO_RATE) : round(b * AUDIO_RATE)] ** 2))
        for a, b in [(0, 0.45), (0.55, sound_end - 0.05), (sound_end + 0.05, float(length) - 0.05)]
        if b > a
    ]
    assert rms[0] < 1e-3 and rms[1] > 0.1 and all(r < 1e-3 for r in rms[2:])


def test_long_audio_padding_is_made_a_second_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """Silence before and after the clip was made as one frame: hours of frames added ahead of a clip took gigabytes."""
    from tempo_cli.video import carry

    made: list[int] = []
    silent_frame = carry.silent_frame

    def recorded(sample_format: str, layout: str, rate: int, samples: int):
        made.append(samples)
        return silent_frame(sample_format, layout, rate, samples)

    monkeypatch.setattr(carry, "silent_frame", recorded)
    source = make_clip(tmp_path / "source.mp4", frames=12)
    info = VideoReader(source).info
    lead = Fraction(5, 2)
    with VideoWriter(
        tmp_path / "padded.mp4", info.fps, 64, 48, FAST, source=info, audio_padding=AudioPadding(lead, True)
    ) as w:
        frames = list(VideoReader(source))
        for k in range(12 + 84):
            w.write(frames[min(k, 11)].image, lead + Fraction(k, 24))
        w.commit()
    assert made and max(made) <= AUDIO_RATE
    assert abs(sum(made) - (lead + Fraction(84, 24)) * AUDIO_RATE) <= AUDIO_RATE * 0.05
    assert abs(audio_of(tmp_path / "padded.mp4")[1] - (lead + Fraction(96, 24))) <= AAC_FRAME


def audio_after_video(path: Path) -> Fraction:
    """Seconds from the start of the last video frame to the end of the last audio packet."""
    return sum(packet_times(path, "audio")[-1]) - max(start for start, _ in packet_times(path, "video"))


@pytest.mark.parametrize("slowdown", [1, 2])  # 1: packets copied, 2: audio decoded, stretched, re-encoded
def test_audio_stays_in_sync_when_the_first_frames_do_not_decode(tmp_path: Path, slowdown: int) -> None:
    # Cut mid-GOP, the video stream starts 3 frames (0.125 s) in, but its first frame decodes at the keyframe 0.5 s
    # in. That frame is time 0: the audio heard with it must be the source's audio at 0.5 s.
    source = drop_leading_video_packets(make_clip(tmp_path / "whole.mkv", frames=48), tmp_path / "cut.mkv", 3)
    target = tmp_path / "out.mkv"
    with VideoReader(source) as reader:
        info = reader.info
        assert info.start == Fraction(1, 2)
        with VideoWriter(target, info.fps, 64, 48, FAST, source=info, slowdown=Fraction(slowdown)) as writer:
            times = []
            for frame in reader:
                writer.write(frame.image, frame.time * slowdown)
                times.append(frame.time)
            writer.commit()
    assert len(times) == 36 and all(abs(t - i / info.fps) <= Fraction(1, 1000) for i, t in enumerate(times))  # ms
    assert abs(audio_after_video(target) - audio_after_video(source) * slowdown) <= AAC_FRAME


@pytest.mark.parametrize(
    ("source_suffix", "suffix", "codec"),
    [(".mkv", ".mkv", "subrip"), (".mkv", ".mp4", "mov_text"), (".mp4", ".mkv", "subrip"), (".mkv", ".webm", "webvtt")],
)
def test_text_subtitles_are_copied_or_converted_to_a_codec_the_container_holds(
    tmp_path: Path, source_suffix: str, suffix: str, codec: str
) -> None:
    """SubRip going to MP4, and MP4's timed text going to Matroska, were dropped with a warning."""
    source = make_clip(tmp_path / f"source{source_suffix}", frames=24, subtitles=True, audio=False)
    target = tmp_path / f"out{suffix}"
    assert transcode(source, target) == []
    with av.open(str(target)) as container:
        stream = container.streams.subtitles[0]
        cues = [(p.pts * p.time_base, cue_text(codec, bytes(p))) for p in container.demux(stream) if p.size]
        assert stream.codec_context.codec.canonical_name == codec
    assert [cue for cue in cues if cue[1]] == [(start, text) for start, _, text in SUBTITLES]


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [(".avi", "cannot hold it"), (".ts", "cannot hold text subtitles"), (".mpg", "cannot hold text subtitles")],
)
def test_subtitles_a_container_cannot_hold_in_any_text_codec_are_dropped_with_a_warning(
    tmp_path: Path, suffix: str, reason: str
) -> None:
    """MPEG-TS and MPEG-PS took SubRip without a word, as a data stream and as a private stream read as DVD bitmaps."""
    source = make_clip(tmp_path / "source.mkv", frames=24, subtitles=True, audio=False)
    target = tmp_path / f"out{suffix}"
    assert transcode(source, target) == [f"dropping a subrip subtitle stream: the {suffix} container {reason}"]
    with av.open(str(target)) as container:
        assert [stream.type for stream in container.streams] == ["video"]


def test_an_ass_cue_keeps_its_words_and_line_breaks() -> None:
    """Matroska's ASS packet: eight fields before the text (which may hold commas), override tags in braces, \\N
    for a new line, \\h a hard space; a drawing ({\\p1}...{\\p0}) is no text."""
    payload = rb"3,0,Default,,0,0,0,,{\b1}Bold{\b0}, start\Nsecond\hline{\p1}m 0 0 l 9 0{\p0}"
    assert cue_text("ass", payload) == "Bold, start\nsecond\u00a0line"


def test_plain_text_is_escaped_for_webvtt_and_markup_is_dropped_from_timed_text() -> None:
    assert cue_payload("webvtt", cue_text("mov_text", b"\x00\x0bTom & <3 x")) == b"Tom &amp; &lt;3 x"
    assert cue_payload("mov_text", cue_text("subrip", b"<i>one</i>")) == b"\x00\x03one"


def test_cues_that_start_together_are_kept_and_empty_ones_left_out(tmp_path: Path) -> None:
    """Two lines at once (top and bottom) lost the second, which was taken for timestamps going back; a converted
    cue without words is left out; MP4 timed text carries the sample description (style, font) players need."""
    source = tmp_path / "cues.mkv"
    cues = [(100, "top"), (100, "bottom"), (400, ""), (600, "a < b")]
    with av.open(str(source), "w") as out:
        video = add_scene_stream(out, 24)
        captions = out.add_mux_stream("subrip")
        mux_scene(out, video, 24)
        for start, text in cues:
            packet = av.Packet(text.encode())
            packet.stream, packet.time_base = captions, Fraction(1, 1000)
            packet.pts = packet.dts = start
            packet.duration = 200
            out.mux(packet)
    for suffix, codec in ((".mkv", "subrip"), (".mp4", "mov_text"), (".webm", "webvtt")):
        target = tmp_path / f"out{suffix}"
        transcode(source, target)
        with av.open(str(target)) as container:
            stream = container.streams.subtitles[0]
            written = [(p.pts * p.time_base, cue_text(codec, bytes(p))) for p in container.demux(stream) if p.size]
            assert stream.codec_context.extradata or codec != "mov_text"
        words = [(start, text) for start, text in written if text]
        assert words == [(Fraction(start, 1000), text) for start, text in cues if text], suffix


def test_mp4_subtitles_of_a_file_that_starts_late_keep_their_times(tmp_path: Path) -> None:
    """The source's streams start 3 s late, its timed text with an empty cue from 0 to 3 s (ffmpeg
    -output_ts_offset): moved to the output's time 0, that cue lies wholly before the picture."""
    source = delay_all_streams(make_clip(tmp_path / "clip.mp4", frames=24, subtitles=True), tmp_path / "late.mp4", 3)
    assert transcode(source, tmp_path / "out.mp4") == []
    with av.open(str(tmp_path / "out.mp4")) as container:
        stream = container.streams.subtitles[0]
        packets = [p for p in container.demux(stream) if p.size]
        cues = [(p.pts * p.time_base, p.duration * p.time_base, bytes(p)[2:].decode()) for p in packets]
    assert [cue for cue in cues if cue[2]] == list(SUBTITLES)


def test_slow_motion_stretches_the_audio_at_the_same_pitch_and_retimes_the_subtitles(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "source.mkv", frames=24, subtitles=True)
    target = tmp_path / "slow.mkv"
    with VideoReader(source) as reader:
        info = reader.info
        with VideoWriter(target, info.fps, 64, 48, FAST, source=info, slowdown=Fraction(3)) as writer:
            for frame in reader:  # each frame shown 3 times: the picture plays 3 times slower
                for k in range(3):
                    writer.write(frame.image, frame.time * 3 + k / info.fps)
            writer.commit()
    _, length_in, _ = audio_of(source)
    _, length, samples = audio_of(target)
    assert abs(length - 3 * length_in) <= 2 * AAC_FRAME
    second = samples[AUDIO_RATE : 2 * AUDIO_RATE]  # one second from the middle: 1 Hz bins
    assert abs(int(np.argmax(np.abs(np.fft.rfft(second)))) - 440) <= 2  # the 440 Hz sine is still 440 Hz
    with av.open(str(target)) as container:
        stream = container.streams.subtitles[0]
        cues = [
            (p.pts * p.time_base, p.duration * p.time_base, bytes(p).decode())
            for p in container.demux(stream)
            if p.size
        ]
    assert cues == [(3 * start, 3 * length, text) for start, length, text in SUBTITLES]


@pytest.mark.parametrize("slowdown", [2, Fraction(5, 2), 4])
def test_slowed_audio_is_exactly_that_much_longer_even_when_short(slowdown) -> None:
    stretch = AudioStretch(Fraction(slowdown))
    frame = av.AudioFrame.from_ndarray(np.full((2, 1024), 0.1, np.float32), format="fltp", layout="stereo")
    frame.sample_rate = AUDIO_RATE
    out = [*stretch.push(frame), *stretch.flush()]
    assert sum(f.samples for f in out) == 1024 * slowdown
    assert {(f.format.name, f.layout.name, f.sample_rate) for f in out} == {("fltp", "stereo", AUDIO_RATE)}


def test_silence_added_to_unsigned_8_bit_audio_is_silent() -> None:
    """Zero bytes are the lowest level in u8, not silence (128): the lead's silence before slowed u8 audio (and any
    padding) was a click."""
    stretch = AudioStretch(Fraction(3))
    frame = av.AudioFrame.from_ndarray(np.full((1, 2 * 4000), 128, np.uint8), format="u8", layout="stereo")
    frame.sample_rate = 8000
    out = [*stretch.push(frame), *stretch.flush()]
    levels = np.concatenate([f.to_ndarray().ravel() for f in out])
    assert levels.size == 3 * 2 * 4000 and np.abs(levels.astype(int) - 128).max() <= 4  # atempo rounds a little


@pytest.mark.parametrize("slowdown", [2, 3, 8])
def test_slowed_audio_stays_in_step_with_the_slowed_picture(slowdown) -> None:
    """A 20 ms tone burst at 0.55 s and at 0.93 s lands at `slowdown` times those times, within 5 ms a step of
    slowdown; atempo alone had put them about 20 ms a step early (150 ms at 8x)."""
    burst = round(0.02 * AUDIO_RATE)
    signal = np.zeros((1, AUDIO_RATE * 3 // 2), np.float32)
    starts = [round(0.55 * AUDIO_RATE), round(0.93 * AUDIO_RATE)]
    for start in starts:
        signal[0, start : start + burst] = np.sin(2 * np.pi * 440 / AUDIO_RATE * np.arange(burst))
    stretch = AudioStretch(Fraction(slowdown))
    out = []
    for at in range(0, signal.shape[1], 1024):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(signal[:, at : at + 1024]), "fltp", "mono")
        frame.sample_rate = AUDIO_RATE
        out += stretch.push(frame)
    energy = np.concatenate([f.to_ndarray()[0] for f in [*out, *stretch.flush()]]).astype(np.float64) ** 2
    for start in starts:
        expected = (start + burst / 2) * slowdown
        low, high = round(expected - 0.15 * AUDIO_RATE * slowdown), round(expected + 0.15 * AUDIO_RATE * slowdown)
        centre = low + (energy[low:high] * np.arange(high - low)).sum() / energy[low:high].sum()
        assert abs(centre - expected) / AUDIO_RATE <= 0.005 * slowdown


@pytest.mark.parametrize(
    ("slowdown", "speeds"), [(2, [0.5]), (3, [0.5, 2 / 3]), (8, [0.5, 0.5, 0.5]), (2.5, [0.5, 0.8])]
)
def test_a_slowdown_is_a_chain_of_atempo_speeds_of_at_least_one_half(slowdown, speeds) -> None:
    chain = atempo_chain(Fraction(slowdown))
    assert [float(s) for s in chain] == pytest.approx(speeds)
    assert math.prod(chain) == 1 / Fraction(slowdown)


# --- image folders -------------------------------------------------------------------------------------------


def test_a_frame_of_the_wrong_type_is_refused_without_a_gap_in_the_numbers(tmp_path: Path) -> None:
    frame = scene_image(0, (64, 48))
    with ImageSequenceWriter(tmp_path / "out") as sink:
        with pytest.raises(ValueError, match="uint8/uint16"):
            sink.write(frame.astype(np.float64), Fraction(0))
        sink.write(frame, Fraction(0))
        sink.commit()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["frame_000001.png"]


def test_image_folder_in_and_out(tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "in", frames=12)  # frame_1.png ... frame_12.png, unpadded
    with pytest.raises(VideoError, match="--input-fps is required"):
        open_source(folder, None)
    source = open_source(folder, Fraction(12))
    assert isinstance(source, ImageSequenceReader)
    assert (source.info.codec, source.info.fps, source.info.frame_count, source.info.has_audio) == (
        "image",
        12,
        12,
        False,
    )
    frames = list(source)
    assert [f.time for f in frames] == [Fraction(i, 12) for i in range(12)]
    assert all(np.array_equal(f.image, scene_image(i, (64, 48))) for i, f in enumerate(frames))  # natural order

    sink = open_sink(str(tmp_path / "out") + "/", Fraction(12), 64, 48)
    assert isinstance(sink, ImageSequenceWriter)
    with sink:
        for frame in frames:
            sink.write(frame.image, frame.time)
        assert not (tmp_path / "out").exists()
        sink.commit()
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"frame_{i:06d}.png" for i in range(1, 13)]
    assert np.array_equal(read_image(tmp_path / "out" / "frame_000012.png"), frames[11].image)
    assert leftovers(tmp_path) == []


def test_ctrl_c_while_the_replaced_folder_is_deleted_leaves_no_part_of_it(tmp_path: Path, monkeypatch) -> None:
    """The old frames folder, moved aside, was half deleted when Ctrl-C came: a hidden folder stayed behind."""
    import tempo_cli.video.imageseq as imageseq

    target = tmp_path / "frames"
    target.mkdir()
    for index in range(20):
        (target / f"frame_{index:06d}.png").write_bytes(b"old")
    real_rmtree = shutil.rmtree
    calls = []

    def interrupted_rmtree(path, ignore_errors=False):
        calls.append(path)
        if len(calls) == 1:
            next(Path(path).iterdir()).unlink()
            raise KeyboardInterrupt
        real_rmtree(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(imageseq.shutil, "rmtree", interrupted_rmtree)
    writer = ImageSequenceWriter(target)
    writer.write(scene_image(0, (64, 48)), Fraction(0))
    with pytest.raises(KeyboardInterrupt):
        writer.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]
    assert [p.name for p in target.iterdir()] == ["frame_000001.png"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full to stand for a full disk")
def test_an_image_on_a_full_disk_is_one_error_with_the_reason(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """libpng printed its own line before the error, which had no reason."""
    writer = ImageSequenceWriter(tmp_path / "frames")
    first = next(tmp_path.iterdir()) / "frame_000001.png"  # in the hidden folder the writer fills
    first.symlink_to("/dev/full")
    with writer, pytest.raises(VideoError, match=f"cannot write {first}: No space left on device"):
        writer.write(scene_image(0, (64, 48)), Fraction(0))
    assert capfd.readouterr().err == ""
    assert list(tmp_path.iterdir()) == []


def test_open_sink_picks_video_or_folder(tmp_path: Path) -> None:
    (tmp_path / "existing").mkdir()
    for target, kind in [
        (tmp_path / "a.mkv", VideoWriter),
        (tmp_path / "frames", ImageSequenceWriter),
        (tmp_path / "existing", ImageSequenceWriter),
        (f"{tmp_path / 'frames.mp4'}/", ImageSequenceWriter),
    ]:
        sink = open_sink(target, Fraction(24), 64, 48)
        assert isinstance(sink, kind)
        sink.abort()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "no PNG or JPEG images"),
        (lambda d: (d / "frame_1.png").write_text("not an image"), "cannot read image"),
    ],
)
def test_bad_image_folder_raises_video_error(tmp_path: Path, setup, message) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    setup(folder)
    with pytest.raises(VideoError, match=message):
        ImageSequenceReader(folder, Fraction(24))


def test_image_folder_with_mixed_sizes_raises_video_error(tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "in", frames=2, size=(64, 48))
    make_image_folder(tmp_path / "other", frames=3, size=(32, 32))
    (tmp_path / "other" / "frame_3.png").rename(folder / "frame_3.png")
    with pytest.raises(VideoError, match="all images must match"):
        list(ImageSequenceReader(folder, Fraction(24)))


def test_a_subsampled_pixel_format_asked_for_an_odd_size_is_refused_in_words(tmp_path: Path) -> None:
    """libx264 failed with "Generic error in an external library"."""
    with pytest.raises(VideoError, match="yuv420p subsamples chroma, which a 65x33 frame does not divide into"):
        video_settings(EncodeOptions(codec="libx264", pix_fmt="yuv420p"), 65, 33, None, "mp4")


@pytest.mark.parametrize("gaps", [[40], [10] * 16], ids=["one 40 ms gap", "sixteen 10 ms gaps"])
def test_a_gap_in_the_source_audio_stays_a_gap_when_the_audio_is_padded(tmp_path: Path, gaps: list[int]) -> None:
    """A source whose audio timestamps skip 40 ms after the first packet (as some AAC in MP4 does): re-encoded audio
    had joined the decoded frames end to end, so everything after the gap played 40 ms early. Gaps too small to
    fill one by one are filled once they add up."""
    source = tmp_path / "gap.mkv"
    with av.open(str(source), "w") as out:
        video = add_scene_stream(out, 25)
        audio = out.add_stream("pcm_s16le", rate=AUDIO_RATE, layout="mono")
        mux_scene(out, video, 25)
        block, starts, start = 960, [], 0
        for index in range(AUDIO_RATE // 960):
            starts.append(start)
            start += block + (gaps[index] * AUDIO_RATE // 1000 if index < len(gaps) else 0)
        for start in starts:
            samples = np.zeros((1, block), np.int16)
            burst = AUDIO_RATE // 2 - start  # a click at 0.5 s on the source's timeline
            if 0 <= burst < block:
                samples[0, burst:] = 20000
            frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, start, Fraction(1, AUDIO_RATE)
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    target = tmp_path / "padded.mkv"
    info = VideoReader(source).info
    with VideoWriter(target, info.fps, 64, 48, FAST, source=info, audio_padding=AudioPadding(to_end=True)) as writer:
        for frame in VideoReader(source):
            writer.write(frame.image, frame.time)
        writer.commit()
    _, _, samples = audio_of(target)
    click = int(np.argmax(np.abs(samples) > 0.3))
    assert abs(click / AUDIO_RATE - 0.5) <= 0.002


def audio_span(path: Path) -> tuple[Fraction, Fraction]:
    """The first and the last audio time of `path`'s first audio stream (packet starts and ends)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        packets = [p for p in container.demux(stream) if p.size and p.pts is not None]
    return min(p.pts * p.time_base for p in packets), max((p.pts + p.duration) * p.time_base for p in packets)


@pytest.mark.parametrize("padding", [NO_PADDING, AudioPadding(lead=Fraction(1, 24))], ids=["copied", "re-encoded"])
def test_audio_whose_timestamps_go_back_keeps_its_timeline(tmp_path: Path, padding: AudioPadding) -> None:
    """Two MPEG-TS clips joined end to end, the second's audio starting 0.12 s before the first's ends: copying it
    failed (muxers refuse timestamps going back), and re-encoding joined the overlap on, so the rest played late.
    The overlap is left out: the audio ends where the source's timeline does."""
    first = make_clip(tmp_path / "first.ts", frames=24)
    second = delay_all_streams(
        make_clip(tmp_path / "second.ts", frames=24), tmp_path / "late.ts", Fraction(1), Fraction(22, 25)
    )
    joined = tmp_path / "joined.ts"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    _, end = audio_span(second)
    target = tmp_path / "out.mkv"
    warnings = transcode(joined, target, audio_padding=padding)
    _, out_end = audio_span(target)
    video_start = VideoReader(joined).info.start
    assert abs(out_end - (end - video_start + padding.lead)) <= AAC_FRAME
    assert any("went back" in w for w in warnings) == (padding is NO_PADDING)


def test_side_surround_becomes_opus_where_the_container_needs_it(tmp_path: Path) -> None:
    """FFmpeg reads 5.1 AC-3 as 5.1(side), which the Opus encoder refuses: WebM output failed, saying that the
    container could hold neither AC-3 nor AAC, Opus or MP2. Opus now gets the same six channels as 5.1 (back)."""
    source = make_clip(tmp_path / "ac3.mkv", frames=6, audio_codec="ac3", audio_layout="5.1(side)")
    warnings = transcode(source, tmp_path / "out.webm")
    with av.open(str(tmp_path / "out.webm")) as container:
        audio = container.streams.audio[0].codec_context
        assert (audio.codec.name, audio.layout.name) == ("opus", "5.1")
    assert warnings == ["the .webm container cannot hold ac3 audio; re-encoding it to libopus"]


def test_a_warning_for_two_audio_tracks_alike_is_given_once(tmp_path: Path) -> None:
    """Two AAC tracks going into .webm had each said that .webm cannot hold AAC, word for word."""
    source = make_clip(tmp_path / "one.mkv", frames=6)
    two = tmp_path / "two.mkv"
    copy_twice = ["-map", "0:v", "-map", "0:a", "-map", "0:a", "-c", "copy"]
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", source, *copy_twice, two], check=True)
    warnings = transcode(two, tmp_path / "out.webm")
    assert warnings == ["the .webm container cannot hold aac audio; re-encoding it to libopus"]
    with av.open(str(tmp_path / "out.webm")) as container:
        assert [s.codec_context.name for s in container.streams.audio] == ["opus", "opus"]


@pytest.mark.parametrize("bit_rate", [320_000, 48_000])
def test_audio_re_encoded_to_its_own_codec_keeps_its_bit_rate_above_the_encoders_default(
    tmp_path: Path, bit_rate: int
) -> None:
    """Padded AAC at 320 kb/s came out at the encoder's default, about 130 kb/s. A low rate is not carried: FFmpeg
    reads a variable-rate source's off its first frame (32 kb/s for MP3 that opens with silence)."""
    source = make_clip(tmp_path / "source.mp4", frames=24, audio_bit_rate=bit_rate)
    target = tmp_path / "padded.mp4"
    transcode(source, target, audio_padding=AudioPadding(lead=Fraction(1, 24)))
    rates = []
    for path in (source, target):
        with av.open(str(path)) as container:
            rates.append(container.streams.audio[0].bit_rate)
    assert rates[1] >= 0.9 * rates[0] if bit_rate > 128_000 else rates[1] > 1.5 * rates[0]


@pytest.mark.parametrize(
    ("timecode", "source_fps", "output_fps", "lead", "expected"),
    [
        ("01:00:00:00", Fraction(25), Fraction(50), Fraction(0), "01:00:00:00"),
        ("01:00:00:12", Fraction(25), Fraction(50), Fraction(0), "01:00:00:24"),
        ("01:00:00:12", Fraction(25), Fraction(100), Fraction(2, 50), "01:00:00:44"),
        ("00:00:00:00", Fraction(25), Fraction(25), Fraction(1, 25), "23:59:59:24"),
        ("01:00:00;12", Fraction(30000, 1001), Fraction(60000, 1001), Fraction(0), "01:00:00;24"),
        ("00:01:00;02", Fraction(30000, 1001), Fraction(30000, 1001), Fraction(1001, 30000), "00:00:59;29"),
        ("00:10:00;00", Fraction(30000, 1001), Fraction(30000, 1001), Fraction(1001, 30000), "00:09:59;29"),
        ("01:00:00;12", Fraction(30000, 1001), Fraction(50), Fraction(0), "01:00:00:20"),
        ("01:00:00.12", Fraction(60000, 1001), Fraction(120000, 1001), Fraction(0), "01:00:00;24"),
        ("00:00:00:12", Fraction(25, 2), Fraction(25), Fraction(0), "00:00:00:23"),
    ],
)
def test_a_timecode_is_counted_at_the_output_rate(timecode, source_fps, output_fps, lead, expected) -> None:
    """The output's first frame keeps the source's first frame's time: frames are counted at the new rate, frames
    added before it count back, and drop-frame labels skip 2 (4 at 60) a minute except every tenth."""
    assert retimed(timecode, source_fps, output_fps, lead) == expected


@pytest.mark.parametrize("timecode", ["", "1:00", "01:00:00:25", "01:61:00:00", "SMPTE"])
def test_a_tag_that_is_no_timecode_is_left_alone(timecode: str) -> None:
    assert retimed(timecode, Fraction(25), Fraction(50)) is None


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_the_video_tracks_timecode_and_language_are_carried(tmp_path: Path, suffix: str) -> None:
    """An MP4 timecode track (or Matroska TIMECODE tag) and the video track's language were dropped."""
    source = tmp_path / f"tc{suffix}"
    with av.open(str(source), "w") as out:
        video = add_scene_stream(out, 25)
        video.metadata.update({"timecode": "10:00:00:12", "language": "deu"})
        mux_scene(out, video, 5)
    with VideoReader(source) as reader:
        target = tmp_path / f"out{suffix}"
        with VideoWriter(target, Fraction(50), 64, 48, FAST, source=reader.info) as writer:
            for frame in reader:
                writer.write(frame.image, frame.time)
            writer.commit()
    with av.open(str(target)) as container:
        tags = {key.lower(): value for key, value in container.streams.video[0].metadata.items()}
        assert (tags["timecode"], tags["language"]) == ("10:00:00:24", "deu")
        timecode_tracks = [s.metadata.get("timecode") for s in container.streams.data]
        assert timecode_tracks == (["10:00:00:24"] if suffix == ".mp4" else [])


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_cover_art_is_carried_or_dropped_with_a_warning(tmp_path: Path, suffix: str) -> None:
    """An MP4's cover picture was dropped without a word; Matroska keeps it as an attachment."""
    source = tmp_path / "cover.mp4"
    with av.open(str(source), "w") as out:
        video = add_scene_stream(out, 24)
        cover = out.add_stream("png", width=32, height=32, pix_fmt="rgb24")
        cover.disposition = av.stream.Disposition.attached_pic
        picture = av.VideoFrame.from_ndarray(scene_image(0, (32, 32)), format="rgb24")
        picture.pts, picture.time_base = 0, Fraction(1, 24)
        (art,) = cover.encode(picture)
        out.mux(art)
        mux_scene(out, video, 12)
    target = tmp_path / f"out{suffix}"
    warnings = transcode(source, target)
    with av.open(str(target)) as container:
        covers = [s for s in container.streams.video if s.disposition & av.stream.Disposition.attached_pic]
        pictures = [bytes(p) for s in covers for p in container.demux(s) if p.size]
    if suffix == ".mov":
        assert pictures == [] and warnings == ["dropping the cover art: the mov container cannot hold it"]
    else:
        assert pictures == [bytes(art)] and warnings == []


@pytest.mark.parametrize("suffix", [".mkv", ".mp4", ".avi"])
def test_chapters_and_attachments_are_carried(tmp_path: Path, suffix: str) -> None:
    """Chapters and a subtitle font were dropped. Chapters move with the picture (here slowed down 2x, with a
    frame added before it) and end with it; only Matroska holds attachments, and other containers say so, as
    containers without chapters do."""
    source = tmp_path / "extras.mkv"
    with av.open(str(source), "w") as out:
        video = add_scene_stream(out, 24)
        out.set_chapters(
            [
                {"id": 1, "start": 0, "end": 500, "time_base": Fraction(1, 1000), "metadata": {"title": "One"}},
                {"id": 2, "start": 500, "end": 3000, "time_base": Fraction(1, 1000), "metadata": {"title": "Two"}},
                {"id": 3, "start": 1500, "end": 5000, "time_base": Fraction(1, 1000), "metadata": {"title": "Late"}},
            ]
        )
        out.add_attachment("font.ttf", "font/ttf", b"not really a font")
        mux_scene(out, video, 24)
    target = tmp_path / f"out{suffix}"
    lead = Fraction(1, 24)
    warnings = transcode(source, target, audio_padding=AudioPadding(lead=lead), slowdown=Fraction(2))
    with av.open(str(target)) as container:
        chapters = [
            (c["start"] * c["time_base"], c["end"] * c["time_base"], c["metadata"]) for c in container.chapters()
        ]
        attachments = [(s.name, s.data) for s in container.streams if s.type == "attachment"]
    dropped_attachment = "dropping the attachment font.ttf: only Matroska (.mkv) holds attachments"
    if suffix == ".avi":
        assert chapters == [] and attachments == []
        assert warnings == ["dropping 2 chapters: the avi container cannot hold them", dropped_attachment]
        return
    assert [c[2]["title"] for c in chapters] == ["One", "Two"]
    assert abs(chapters[1][0] - (lead + 1)) < Fraction(1, 1000)  # MP4's chapter track starts at 0
    assert abs(chapters[1][1] - (lead + 2)) < Fraction(1, 1000)
    if suffix == ".mkv":
        assert attachments == [("font.ttf", b"not really a font")] and warnings == []
    else:
        assert attachments == [] and warnings == [dropped_attachment]


@pytest.mark.parametrize(
    ("codec", "suffix", "color_range"),
    [
        ("dnxhd", ".mov", 1),
        ("prores_ks", ".mov", 1),
        ("prores", ".mov", 1),
        ("mjpeg", ".avi", 2),
        ("libsvtav1", ".mkv", 2),
    ],
)
def test_editing_codecs_encode_a_full_range_source_with_their_defaults(
    tmp_path: Path, codec: str, suffix: str, color_range: int
) -> None:
    """DNxHD never encoded (no profile fits a free size: DNxHR does), MJPEG refused limited-range 4:2:0 and SVT-AV1
    the x264 preset name; ProRes tagged full-range samples limited and wrote colour tags on copied frames only."""
    if not usable_encoder(codec):
        pytest.skip(f"this FFmpeg has no {codec}")
    size = (320, 180)  # DNxHR's smallest frames are larger than 64x48
    source = make_clip(
        tmp_path / "full.mkv",
        frames=4,
        size=size,
        codec="ffv1",
        pix_fmt="yuv444p",
        audio=False,
        color_tags={"colorspace": 1, "color_range": 2, "color_primaries": 1, "color_trc": 1},
    )
    target = tmp_path / f"out{suffix}"
    warnings = transcode(source, target, EncodeOptions(codec=codec, preset="ultrafast" if codec != "dnxhd" else None))
    assert not any("colour tags" in w for w in warnings), warnings
    with av.open(str(target)) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == 4 and {frame.color_range for frame in decoded} == {color_range}
    shown, original = (list(VideoReader(path))[2].image for path in (target, source))  # as their tags say
    shown = shown / 257 if shown.dtype == np.uint16 else shown
    green = (np.percentile(image[..., 1], [1, 99]) for image in (shown, original))  # little moved by 4:2:0 chroma
    levels = next(green) - next(green)  # a range error moves black and white 10 levels or more
    assert np.abs(levels).max() < 4


@pytest.mark.parametrize(("codec", "suffix"), [("mpeg4", ".avi"), ("mjpeg", ".mkv"), ("mpeg2video", ".mpg")])
def test_crf_sets_the_quantizer_of_encoders_without_one(tmp_path: Path, codec: str, suffix: str) -> None:
    """MJPEG and MPEG-1/2/4 ignored --crf and fell back to FFmpeg's default 200 kb/s, which smears larger frames."""
    source = make_clip(tmp_path / "src.mkv", frames=3, size=(640, 360), codec="ffv1", pix_fmt="yuv420p", audio=False)
    original = frames_of(source)

    def psnr(crf: int) -> float:
        target = tmp_path / f"crf{crf}{suffix}"
        transcode(source, target, EncodeOptions(codec=codec, crf=crf, preset=None))
        error = np.mean([(a.astype(float) - b) ** 2 for a, b in zip(frames_of(target), original, strict=True)])
        return float(10 * np.log10(255**2 / error))

    fine, coarse = psnr(18), psnr(36)
    assert fine > coarse + 3, (fine, coarse)


def test_odd_sized_4_2_0_stays_4_2_0_where_the_encoder_takes_it_and_says_so_where_not(tmp_path: Path) -> None:
    """Every odd-sized 4:2:0 source had been written as RGB or 4:4:4 without a word: FFV1 lost lossless (source
    frames up to 11 levels off) and H.264 wrote 4:4:4, which many players cannot play."""
    source = make_clip(tmp_path / "odd.mkv", frames=2, size=(65, 49), codec="ffv1", pix_fmt="yuv420p", audio=False)
    with av.open(str(source)) as container:
        original = [[bytes(plane) for plane in frame.planes] for frame in container.decode(video=0)]
    cases = [
        (".mkv", EncodeOptions(codec="ffv1", lossless=True), "yuv420p", None),
        (".webm", EncodeOptions(codec="libvpx-vp9", preset="ultrafast"), "yuv420p", None),
        (".mp4", FAST, "yuv444p", "a 65x49 frame (odd) is written as yuv444p with libx264, which some players"),
        (".mkv", EncodeOptions(codec="libx264", lossless=True), "yuv444p", "so the source frames are converted"),
        (".mov", EncodeOptions(codec="prores_ks", preset=None), "yuv444p12le", None),  # never 4:2:0: no warning
    ]
    for n, (suffix, options, pix_fmt, warning) in enumerate(cases):
        target = tmp_path / f"out{n}{suffix}"
        warnings = transcode(source, target, options)
        assert warnings == [] if warning is None else len(warnings) == 1 and warning in warnings[0], warnings
        with av.open(str(target)) as container:
            assert container.streams.video[0].codec_context.pix_fmt == pix_fmt
            decoded = [[bytes(plane) for plane in frame.planes] for frame in container.decode(video=0)]
        if options.lossless and pix_fmt == "yuv420p":
            assert decoded == original


def test_lossless_output_that_cannot_keep_an_rgb_source_says_so(tmp_path: Path) -> None:
    """--lossless of an RGB source with H.264 wrote yuv444p without a word (source frames 2 levels off); FFV1 keeps
    it, in another RGB layout, without a warning."""
    source = make_clip(tmp_path / "rgb.mkv", frames=2, codec="ffv1", pix_fmt="bgr0", audio=False)
    x264 = transcode(source, tmp_path / "x264.mkv", EncodeOptions(codec="libx264", lossless=True))
    assert len(x264) == 1 and "libx264 cannot keep the source's bgr0; writing yuv444p" in x264[0], x264
    assert transcode(source, tmp_path / "ffv1.mkv", EncodeOptions(codec="ffv1", lossless=True)) == []
    grey = make_clip(tmp_path / "grey.mkv", frames=2, codec="ffv1", pix_fmt="gray", audio=False)
    vp9 = EncodeOptions(codec="libvpx-vp9", lossless=True, preset="ultrafast")
    assert transcode(grey, tmp_path / "grey.webm", vp9) == []  # grey as gbrp is kept exactly: no warning


def test_rgb_output_is_not_called_coarser_chroma(tmp_path: Path) -> None:
    """PNG video (RGB, a colour sample at every pixel) from a 4:2:0 source was said to store colour at a lower
    resolution than the source's."""
    source = make_clip(tmp_path / "source.mp4", frames=4, audio=False)
    assert transcode(source, tmp_path / "out.mov", EncodeOptions(codec="png")) == []


def test_dnxhr_takes_4_2_2_for_a_deep_4_2_0_source_and_names_its_smallest_frame(tmp_path: Path) -> None:
    """10-bit 4:2:0 went to 4:4:4 (DNxHR 444, the largest files) where HQX 4:2:2 keeps all of it; frames under
    DNxHR's smallest size failed with "Invalid argument"."""
    if not usable_encoder("dnxhd"):
        pytest.skip("this FFmpeg has no dnxhd")
    source = make_clip(tmp_path / "deep.mkv", frames=2, size=(320, 180), codec="ffv1", pix_fmt="yuv420p10le")
    settings = video_settings(EncodeOptions(codec="dnxhd"), 320, 180, VideoReader(source).info, "mov")
    assert (settings.pix_fmt, settings.options["profile"]) == ("yuv422p10le", "dnxhr_hqx")
    with pytest.raises(VideoError, match="at least 256x120, got 64x48"):
        video_settings(EncodeOptions(codec="dnxhd"), 64, 48, None, "mov")


def test_svt_av1_takes_its_own_preset_numbers_and_x264_names() -> None:
    for preset, number in (("10", "10"), ("medium", "6")):
        settings = video_settings(EncodeOptions(codec="libsvtav1", preset=preset), 64, 48, None, "matroska")
        assert settings.options["preset"] == number


@pytest.mark.parametrize(
    ("pix_fmt", "opaque"),
    [("yuva444p10le", "yuv444p10le"), ("rgba64be", "rgb48be"), ("bgra64le", "bgr48le"), ("rgba", "rgb0")],
)
def test_alpha_formats_have_an_opaque_twin(pix_fmt: str, opaque: str) -> None:
    """16-bit RGBA (what the PNG decoder gives) kept its alpha, which flickered between copied and made frames."""
    assert without_alpha(pix_fmt) == opaque and not has_alpha(opaque)


def test_an_unknown_pixel_format_is_named_with_the_encoders_own() -> None:
    with pytest.raises(VideoError, match="libx264 cannot encode pixel format foo"):
        video_settings(EncodeOptions(pix_fmt="foo"), 64, 48, None, "mp4")


@pytest.mark.parametrize(("source_fmt", "warned"), [("yuv444p", True), ("yuv420p", False)])
def test_coarser_chroma_than_the_sources_is_warned(tmp_path: Path, source_fmt: str, warned: bool) -> None:
    """A 4:4:4 source became 4:2:0 without a word."""
    source = make_clip(tmp_path / "source.mp4", frames=4, pix_fmt=source_fmt, audio=False)
    warnings = transcode(source, tmp_path / "out.mp4")
    assert any("--pix-fmt yuv444p keeps it" in w for w in warnings) == warned


NTSC_24 = Fraction(24000, 1001)


def write_stamped_clip(path: Path, stamps: list[int], time_base: Fraction) -> Path:
    """A lossless H.264 clip whose frames carry exactly these timestamps (in `time_base`)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"preset": "ultrafast", "qp": "0"}, time_base=time_base)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = time_base
        for index, stamp in enumerate(stamps):
            frame = av.VideoFrame.from_ndarray(scene_image(index, (64, 48)), format="rgb24")
            frame.pts, frame.time_base = stamp, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.mark.parametrize(
    ("nominal", "expected"),
    [
        (Fraction(179, 6), Fraction(29847, 1000)),
        (Fraction(25), None),
        (Fraction(29847, 1000), Fraction(29847, 1000)),
    ],
)
def test_the_interval_a_file_stores_corrects_a_nominal_rate_near_it(tmp_path: Path, nominal, expected) -> None:
    """propainter_test-sample1 stores frames 1000/29847 s apart (after a short first interval) while FFmpeg guesses
    179/6 fps: on that grid the output drifted off its frames and made two thirds of them anew. A guess more than 1%
    away is not corrected (None: no interval stands for it)."""
    clip = write_stamped_clip(tmp_path / "clip.mp4", [0, *range(887, 30000, 1000)], Fraction(1, 29847))
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        rate = stored_interval_rate(leading_packets(clip, stream), time_base(stream), nominal)
    assert rate == expected


def test_intervals_rounded_to_milliseconds_stand_for_no_rate(tmp_path: Path) -> None:
    """Matroska stores 24000/1001 fps as 41 and 42 ms: no interval is common enough to stand for the rate."""
    stamps = [round(i * 1001 / 24) for i in range(40)]
    clip = write_stamped_clip(tmp_path / "clip.mkv", stamps, Fraction(1, 1000))
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert stored_interval_rate(leading_packets(clip, stream), time_base(stream), NTSC_24) is None
