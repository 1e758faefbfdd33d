"""Small deterministic test media made with PyAV: clips with smooth motion, audio, cuts, VFR, subtitles."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

AUDIO_RATE = 48000
TITLE = "tempo test clip"
# BT.709 limited range, as most real encoders tag their output.
COLOR_TAGS = {"color_range": 1, "colorspace": 1, "color_primaries": 1, "color_trc": 1}
SUBTITLES = ((Fraction(1, 10), Fraction(3, 10), "first line"), (Fraction(1, 2), Fraction(3, 10), "second line"))


def scene_image(index: float, size: tuple[int, int], cut_at: int | None = None, high_depth: bool = False) -> np.ndarray:
    """Frame `index` of the test scene, (H, W, 3) RGB uint8 (uint16 if `high_depth`).

    Before `cut_at`: a smoothly panning texture with a soft square moving diagonally; from `cut_at` on: a totally
    different scene (dark, blue, vertical bars scrolling down).
    """
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    t = float(index)
    if cut_at is None or index < cut_at:
        texture = 0.5 + 0.3 * np.sin(2 * np.pi * (x - 1.5 * t) / 17) * np.cos(2 * np.pi * y / 13)
        gradient = 0.2 + 0.6 * x / max(width - 1, 1)
        cx, cy = 8 + 1.25 * t, 6 + 0.75 * t
        square = np.clip(5 - np.maximum(np.abs(x - cx), np.abs(y - cy)), 0, 1)
        rgb = np.stack([texture, gradient, 0.15 + 0.8 * square], axis=-1)
    else:
        bars = 0.5 + 0.4 * np.sin(2 * np.pi * (y - 2 * t) / 9)
        rgb = np.stack([0.05 + 0.05 * bars, 0.1 * bars, 0.3 + 0.5 * bars], axis=-1)
    scale = 65535 if high_depth else 255
    return np.round(np.clip(rgb, 0, 1) * scale).astype(np.uint16 if high_depth else np.uint8)


def tilting(count: int, step: int = 10, dtype: type = np.uint8) -> list[np.ndarray]:
    """`count` 128x160 frames of a textured picture moving `step` px down per frame, no bars."""
    rng = np.random.default_rng(1)  # detail at every scale, as in a real picture, for DIS's pyramid to follow
    noise = (rng.random((128 + step * count, 160, 3)).astype(np.float32) for _ in range(3))
    texture = sum(cv2.GaussianBlur(n, (0, 0), s) * s**0.5 for n, s in zip(noise, (2, 6, 18), strict=True))
    texture = (texture - texture.min()) / np.ptp(texture)
    scale = np.iinfo(dtype).max
    frames = [texture[step * (count - t) : step * (count - t) + 128] for t in range(count)]
    return [np.ascontiguousarray(np.rint((0.2 + 0.8 * f) * scale).astype(dtype)) for f in frames]


def make_clip(
    path: Path,
    frames: int = 24,
    fps: Fraction = Fraction(24),
    size: tuple[int, int] = (64, 48),
    audio: bool = True,
    cut_at: int | None = None,
    vfr_times: Sequence[float | Fraction] | None = None,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    display_matrix: tuple[int, ...] | None = None,
    pixel_aspect: Fraction | None = None,
    subtitles: bool = False,
    forced_subtitles: bool = False,
    default_audio: bool = False,
    audio_codec: str = "aac",
    audio_layout: str = "stereo",
    audio_bit_rate: int | None = None,
    pictures: Sequence[float] | None = None,
    codec_options: dict[str, str] | None = None,
    color_tags: dict[str, int] | None = None,
    time_base: Fraction | None = None,
) -> Path:
    """Write a test clip to `path` (container from the suffix) and return `path`.

    Frame i is `scene_image(i)`, or `scene_image(pictures[i])` (then `frames` is ignored, and a picture given twice
    is a duplicated frame), at time i/fps, or at `vfr_times[i]` seconds (then `frames` is ignored). The clip is
    tagged BT.709 limited range (or with `color_tags`, whose range its samples have), carries the title TITLE, the
    display rotation `rotation` (or a whole `display_matrix`), the pixel aspect ratio `pixel_aspect`, a 440 Hz sine
    audio track covering the video duration (`audio_codec` in `audio_layout` at `audio_bit_rate`, a default track
    with `default_audio`) and, if `subtitles`, two cues (SUBTITLES: SubRip, or timed text in .mp4), flagged forced
    with `forced_subtitles`. `codec_options` go to the video encoder. The stream's time base is `time_base`, or
    1/fps (1/90000 with `vfr_times`).
    """
    fps = Fraction(fps)
    frames = len(pictures) if pictures is not None else frames
    if vfr_times is not None:
        times = [Fraction(str(t)) if isinstance(t, float) else Fraction(t) for t in vfr_times]
        time_base = time_base or Fraction(1, 90000)
        duration = times[-1] + 1 / fps
    else:
        times = [i / fps for i in range(frames)]
        time_base = time_base or 1 / fps
        duration = frames / fps
    high_depth = av.VideoFormat(pix_fmt).components[0].bits > 8
    with av.open(str(path), "w") as out:
        out.metadata["title"] = TITLE
        video = out.add_stream(codec, rate=fps, options=codec_options)
        video.width, video.height = size
        video.pix_fmt = pix_fmt
        video.codec_context.time_base = time_base
        video.gop_size = 12
        video.thread_count = 1
        tags = color_tags or COLOR_TAGS
        for name, value in tags.items():
            setattr(video.codec_context, name, value)
        if rotation:
            video.set_display_rotation(rotation)
        if display_matrix is not None:
            video.set_display_matrix(display_matrix)
        if pixel_aspect is not None:
            video.codec_context.sample_aspect_ratio = pixel_aspect
        sound = _add_audio(out, audio_codec, audio_layout, audio_bit_rate) if audio else None
        if sound is not None and default_audio:
            sound.disposition = av.stream.Disposition.default
        captions = out.add_mux_stream("mov_text" if path.suffix == ".mp4" else "subrip") if subtitles else None
        if captions is not None and forced_subtitles:
            captions.disposition = av.stream.Disposition.forced
        out.start_encoding()
        for index, time in enumerate(times):
            picture = pictures[index] if pictures is not None else index
            image = scene_image(picture, size, cut_at, high_depth)  # type: ignore[arg-type]
            frame = av.VideoFrame.from_ndarray(image, format="rgb48le" if high_depth else "rgb24")
            frame = frame.reformat(format=pix_fmt, dst_colorspace=1, dst_color_range=tags.get("color_range", 1))
            frame.pts = round(time / time_base)
            frame.time_base = time_base
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            _write_sine(out, sound, duration)
        if captions is not None:
            _write_subtitles(out, captions)
    return path


def yuv_planes(path: Path) -> list[np.ndarray]:
    """Each decoded frame's planes as stored (no conversion to RGB), one array per frame."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray() for frame in container.decode(video=0)]


def corrupt_packet(clip: Path, index: int = 20) -> Path:
    """Break the NAL length prefix of video packet `index` (a non-keyframe) inside the mp4's mdat."""
    with av.open(str(clip)) as container:
        packets = [(p.pos, p.is_keyframe) for p in container.demux(container.streams.video[0]) if p.size]
    position, keyframe = packets[index]
    assert not keyframe, "pick a packet that is not a keyframe"
    with clip.open("r+b") as file:
        file.seek(position)
        file.write(b"\xff\xff\xff\xff")
    return clip


def drop_leading_video_packets(clip: Path, target: Path, count: int) -> Path:
    """Copy `clip` to `target` without its first `count` video packets, as a recording cut mid-GOP starts: the
    video stream still starts at the first packet kept, but nothing decodes before the next keyframe."""
    with av.open(str(clip)) as source, av.open(str(target), "w") as out:
        routes = {s.index: out.add_stream_from_template(s) for s in source.streams}
        dropped = 0
        for packet in source.demux():
            if not packet.size:
                continue
            if packet.stream.type == "video" and dropped < count:
                dropped += 1
                continue
            packet.stream = routes[packet.stream.index]
            out.mux(packet)
    return target


def delay_all_streams(
    clip: Path, target: Path, seconds: Fraction, audio_seconds: Fraction | None = None, silent: bool = False
) -> Path:
    """Copy `clip` to `target` with every packet `seconds` later (ffmpeg -output_ts_offset), audio `audio_seconds`
    later where given: the file's streams then start late, and MP4's timed-text track fills the time before its
    first cue with an empty one. `silent` keeps the audio streams without any of their packets."""
    with av.open(str(clip)) as source, av.open(str(target), "w") as out:
        routes = {s.index: out.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if not packet.size or (silent and packet.stream.type == "audio"):
                continue
            audio = packet.stream.type == "audio" and audio_seconds is not None
            shift = round((audio_seconds if audio else seconds) / packet.time_base)
            packet.pts = None if packet.pts is None else packet.pts + shift
            packet.dts = None if packet.dts is None else packet.dts + shift
            packet.stream = routes[packet.stream.index]
            out.mux(packet)
    return target


def make_audio_only(path: Path, seconds: float = 0.5, codec: str = "pcm_s16le") -> Path:
    """Write an audio-only file (e.g. .wav) holding a sine tone and return `path`."""
    with av.open(str(path), "w") as out:
        _write_sine(out, _add_audio(out, codec), Fraction(str(seconds)))
    return path


def make_image_folder(
    path: Path, frames: int = 12, size: tuple[int, int] = (64, 48), suffix: str = ".png", high_depth: bool = False
) -> Path:
    """Write frames of the test scene as frame_1.png, frame_2.png, ... (unpadded) into a new folder `path`."""
    path.mkdir(parents=True)
    for index in range(frames):
        image = scene_image(index, size, high_depth=high_depth)
        cv2.imwrite(str(path / f"frame_{index + 1}{suffix}"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


def _add_audio(
    out: av.container.OutputContainer, codec: str, layout: str = "stereo", bit_rate: int | None = None
) -> av.audio.stream.AudioStream:
    stream = out.add_stream(codec, rate=AUDIO_RATE)
    stream.layout = layout
    stream.format = stream.codec_context.codec.audio_formats[0].name
    if bit_rate is not None:
        stream.bit_rate = bit_rate
    return stream


def _write_sine(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, duration: Fraction) -> None:
    """Encode a 440 Hz sine of `duration` seconds into `stream` in encoder-sized frames."""
    total = round(duration * AUDIO_RATE)
    chunk = stream.codec_context.frame_size or 1024
    sample_format = stream.codec_context.format
    for start in range(0, total, chunk):
        count = min(chunk, total - start)
        wave = 0.3 * np.sin(2 * np.pi * 440 * np.arange(start, start + count) / AUDIO_RATE)
        if sample_format.name.startswith("s16"):
            wave = np.round(wave * 32767).astype(np.int16)
        elif sample_format.name.startswith("s32"):
            wave = np.round(wave * 2147483647).astype(np.int32)
        else:
            wave = wave.astype(np.float32)
        channels = [wave] * stream.layout.nb_channels
        samples = np.stack(channels) if sample_format.is_planar else np.stack(channels, axis=1).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format=sample_format.name, layout=stream.layout.name)
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _write_subtitles(out: av.container.OutputContainer, stream: av.stream.Stream) -> None:
    """SUBTITLES as SubRip cues, or as MP4's timed text (each sample's text after its 16-bit length)."""
    for start, length, text in SUBTITLES:
        data = text.encode()
        if out.format.name == "mp4":
            data = len(data).to_bytes(2, "big") + data
        packet = av.Packet(data)
        packet.stream = stream
        packet.time_base = Fraction(1, 1000)
        packet.pts = packet.dts = round(start * 1000)
        packet.duration = round(length * 1000)
        out.mux(packet)
