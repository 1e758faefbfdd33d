"""What an output container can hold: trial writes in memory, and the codecs chosen when none is named."""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable
from fractions import Fraction
from typing import cast

import av
from av.container import InputContainer, OutputContainer
from av.stream import Stream
from av.video.stream import VideoStream

# Video encoders tried in turn for `--codec auto`: H.264 where the container holds it (MP4, MOV, MKV, TS, MPEG,
# ...), else VP9 (WebM) or VP8 (Ogg). All three take --crf and --preset.
AUTO_VIDEO_CODECS = ("libx264", "libvpx-vp9", "libvpx")
# Audio encoders for audio that must be re-encoded and whose own codec the container cannot hold: AAC, else Opus
# (WebM, Ogg), else MPEG audio layer II (MPEG program streams).
FALLBACK_AUDIO_CODECS = ("aac", "libopus", "mp2")
# Surround layouts with side channels, and the same layout with back channels, which some encoders (Opus) take
# instead; resampling moves each side channel to its back one.
_BACK_TWINS = {"quad(side)": "quad", "5.0(side)": "5.0", "5.1(side)": "5.1"}
# MPEG-TS writes text subtitles as a data stream, MPEG-PS (and its DVD/VCD forms) as a private stream that reads back
# as DVD bitmaps; both muxers accept them without a word.
_NO_TEXT_SUBTITLES = frozenset({"mpegts", "mpeg", "vob", "dvd", "svcd", "vcd"})
# x265 prints a banner and its settings to stderr at its default log level; this keeps its errors only.
X265_QUIET = "log-level=error"


def accepts(format_name: str, add_stream: Callable[[OutputContainer], Stream], packet: av.Packet | None = None) -> bool:
    """True if a small `format_name` file can be written with the stream that `add_stream` adds (and `packet`).

    Some combinations only fail once a packet or the trailer is written, hence the complete trial file.
    """
    probe = av.open(io.BytesIO(), "w", format=format_name)
    try:
        stream = add_stream(probe)
        probe.start_encoding()
        if packet is not None:
            packet.stream = stream
            probe.mux(packet)
        probe.close()
    except (ValueError, av.error.FFmpegError):
        with contextlib.suppress(ValueError, av.error.FFmpegError):
            probe.close()
        return False
    return True


def holds_text_subtitles(format_name: str) -> bool:
    """False for muxers that take a text subtitle stream but store it where no player reads it as subtitles."""
    return format_name not in _NO_TEXT_SUBTITLES


def usable_encoder(codec: str) -> bool:
    """True if PyAV has a non-experimental encoder for `codec`."""
    try:
        return not av.codec.Codec(codec, "w").experimental
    except av.codec.codec.UnknownCodecError:
        return False


def pixel_formats(encoder: av.codec.Codec) -> list[str]:
    """The pixel formats `encoder` takes, in its order of preference; empty where it does not say."""
    return [f.name for f in encoder.video_formats or ()]


def takes_pixel_format(codec: str, pix_fmt: str) -> bool:
    """Whether encoder `codec` takes `pix_fmt` (one that lists no formats is taken at its word)."""
    formats = pixel_formats(av.codec.Codec(codec, "w"))
    return not formats or pix_fmt in formats


# Colour tags written into the trial file (BT.709 matrix, primaries and transfer): whether they read back says
# whether the container or the codec's bitstream stores them.
_TRIAL_TAGS = {"colorspace": 1, "color_primaries": 1, "color_trc": 1}


def holds_video(format_name: str, codec: str) -> bool:
    """True if a small `format_name` file of one `codec` frame reads back as video of that codec.

    Writing alone is not proof: MPEG-TS and MPEG-PS store a codec they have no stream type for (VP9, FFV1) as an
    opaque data stream, a file with no picture for any player. An encoder that will not encode the trial frame on
    its own (64x64, limited-range 4:2:0: MJPEG wants full range, NVENC larger frames) says nothing of the
    container: then the answer is True, and the real encode reports its own error.
    """
    trial = _trial(format_name, codec)
    return trial is None or trial[0]


def kept_colour_tags(format_name: str, codec: str) -> frozenset[str]:
    """Which colour tags (`colorspace`, `color_primaries`, `color_trc`) `codec` video in a `format_name` file keeps.

    MPEG-4 Part 2 in AVI, for one, keeps none: neither the bitstream nor the container has a place for them.
    All of them where the trial frame does not encode (undecided, as for `holds_video`).
    """
    trial = _trial(format_name, codec)
    return frozenset(_TRIAL_TAGS) if trial is None else trial[1]


@functools.cache
def _trial(format_name: str, codec: str) -> tuple[bool, frozenset[str]] | None:
    """(holds the codec, the colour tags that read back) from one trial file of two `codec` frames tagged
    `_TRIAL_TAGS`; None if the encoder will not encode the trial frame on its own. Once per container and codec."""
    encoder = av.codec.Codec(codec, "w")
    formats = pixel_formats(encoder)
    pix_fmt = "yuv420p" if not formats or "yuv420p" in formats else formats[0]
    quiet = {"x265-params": X265_QUIET} if encoder.name == "libx265" else {}
    frame = _trial_frame(pix_fmt, 0)
    if not _encodes(codec, frame, quiet):
        return None
    buffer = io.BytesIO()
    try:
        with av.open(buffer, "w", format=format_name) as out:
            stream = cast(
                VideoStream, out.add_stream(codec, rate=24, width=64, height=64, pix_fmt=pix_fmt, options=quiet)
            )
            for name, value in _TRIAL_TAGS.items():
                setattr(stream.codec_context, name, value)
            packets = [*stream.encode(frame), *stream.encode(_trial_frame(pix_fmt, 1)), *stream.encode(None)]
            for packet in packets:  # x265 gives so short a stream random decode times now and then (the mux fails)
                packet.dts = packet.pts
            out.mux(packets)
        buffer.seek(0)
        with av.open(buffer, "r", format=format_name) as back:
            video = [s for s in back.streams.video if s.codec_context is not None]
            if not any(s.codec_context.codec.id == encoder.id for s in video):
                return False, frozenset()
            return True, _tags_read_back(back, video[0])
    except (ValueError, av.error.FFmpegError):
        return False, frozenset()


def _trial_frame(pix_fmt: str, pts: int) -> av.VideoFrame:
    """A black 64x64 frame in `pix_fmt` at `pts` twenty-fourths of a second."""
    frame = av.VideoFrame(64, 64, "yuv420p").reformat(format=pix_fmt)
    frame.pts, frame.time_base = pts, Fraction(1, 24)
    for name, value in _TRIAL_TAGS.items():  # the tags go on the frame as well: ProRes writes each frame's own
        setattr(frame, name, value)
    return frame


def _tags_read_back(container: InputContainer, stream: VideoStream) -> frozenset[str]:
    """The `_TRIAL_TAGS` that the trial file's first frame has; all of them if it does not decode (undecided)."""
    try:
        decoded = next(container.decode(stream), None)
    except (ValueError, av.error.FFmpegError):
        decoded = None
    if decoded is None:
        return frozenset(_TRIAL_TAGS)
    return frozenset(k for k, v in _TRIAL_TAGS.items() if getattr(decoded, k) == v)


def _encodes(codec: str, frame: av.VideoFrame, options: dict[str, str]) -> bool:
    """True if `codec` encodes `frame` outside any container."""
    try:
        context = cast(av.VideoCodecContext, av.CodecContext.create(codec, "w"))
        context.width, context.height, context.pix_fmt = frame.width, frame.height, frame.format.name
        context.time_base = Fraction(1, 24)
        context.options = options
        context.encode(frame)
        context.encode(None)
    except (ValueError, av.error.FFmpegError):
        return False
    return True


def auto_video_codec(format_name: str) -> str | None:
    """The first of AUTO_VIDEO_CODECS that this FFmpeg has and a `format_name` container holds (`holds_video`)."""
    return next((c for c in AUTO_VIDEO_CODECS if usable_encoder(c) and holds_video(format_name, c)), None)


def fallback_audio_codec(format_name: str, layout: av.AudioLayout) -> str | None:
    """The first of FALLBACK_AUDIO_CODECS that this FFmpeg has and that encodes `layout` (or its
    `encodable_layout`) into a `format_name` container, if any."""
    return _first_held(
        format_name,
        FALLBACK_AUDIO_CODECS,
        lambda c: lambda out: out.add_stream(c, rate=48000, layout=encodable_layout(c, layout)),
    )


@functools.cache
def _opens_with(codec: str, layout: str) -> bool:
    """True if the `codec` encoder opens for 48 kHz audio in `layout`."""
    context = cast(av.AudioCodecContext, av.CodecContext.create(codec, "w"))
    context.sample_rate, context.layout = 48000, layout
    context.format = (context.codec.audio_formats or (av.AudioFormat("fltp"),))[0]
    try:
        context.open()
    except (ValueError, av.error.FFmpegError):
        return False
    return True


def encodable_layout(codec: str, layout: av.AudioLayout) -> av.AudioLayout:
    """`layout`, or its twin with back channels for side ones where only that opens the `codec` encoder (Opus takes
    5.1 but not 5.1(side), FFmpeg's usual layout of 5.1 AC-3)."""
    twin = _BACK_TWINS.get(layout.name)
    if twin is None or _opens_with(codec, layout.name) or not _opens_with(codec, twin):
        return layout
    return av.AudioLayout(twin)


def _first_held(
    format_name: str, codecs: tuple[str, ...], probe: Callable[[str], Callable[[OutputContainer], Stream]]
) -> str | None:
    """The first of `codecs` that this FFmpeg has and whose stream, as `probe(codec)` adds it, a `format_name`
    container accepts."""
    return next((c for c in codecs if usable_encoder(c) and accepts(format_name, probe(c))), None)
