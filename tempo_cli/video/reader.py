"""Streaming decode of video files with PyAV: validation, stream facts and timestamped RGB frames."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import cast

import av
import numpy as np
from av.container import InputContainer
from av.sidedata.sidedata import SideData
from av.stream import Stream
from av.video.reformatter import Interpolation
from av.video.stream import VideoStream

from tempo_cli.errors import TempoError
from tempo_cli.video.hdr import LIGHT_SIDE_DATA, MASTERING_SIDE_DATA, HdrMetadata, read_hdr_metadata
from tempo_cli.video.native import with_native
from tempo_cli.video.orientation import IDENTITY_MATRIX
from tempo_cli.video.pixels import ChromaUpsampling, bit_depth, frame_to_rgb, to_uint8

Warn = Callable[[str], None]


class VideoError(TempoError):
    """A file that cannot be used as video input or output; the message is one line meant for the user."""


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a video source, enough to encode a matching output."""

    path: Path
    width: int
    height: int
    fps: Fraction
    time_base: Fraction
    duration: Fraction | None
    frame_count: int | None
    codec: str
    pix_fmt: str
    bit_depth: int
    color_range: int | None
    colorspace: int | None
    color_primaries: int | None
    color_trc: int | None
    has_audio: bool
    has_subtitles: bool
    container_format: str
    has_extras: bool = False
    """Whether the file has chapters, attachments (fonts) or cover art."""
    metadata: dict[str, str] = field(default_factory=dict)
    stream_metadata: dict[str, str] = field(default_factory=dict)
    """The video stream's own tags (language, title, a MOV timecode)."""
    start: Fraction = Fraction(0)
    """Time in seconds, on the source's clock, of the first decoded frame: the frames' (and the output's) time 0."""
    display_matrix: tuple[int, ...] | None = None
    """FFmpeg's 3x3 display matrix (rotation, mirroring; 16.16 fixed point); None where frames are shown as stored."""
    sample_aspect_ratio: Fraction | None = None
    """The pixels' width over their height where it is not 1 (anamorphic video), else None."""
    hdr: HdrMetadata | None = None
    """HDR10 static metadata (mastering display, light levels) of the first frame, None where there is none."""

    @property
    def rotation(self) -> int:
        """Degrees counter-clockwise the display matrix turns the frames, 0 to 359 (as ffmpeg reads the matrix)."""
        if self.display_matrix is None:
            return 0
        return round(-math.degrees(math.atan2(self.display_matrix[1], self.display_matrix[0]))) % 360


@dataclass(frozen=True)
class SourceFrame:
    """One decoded frame: `time` in seconds from the first frame, `image` (H, W, 3) RGB uint8 or uint16."""

    index: int
    time: Fraction
    image: np.ndarray


# FFmpeg demuxers that draw a text file as video (ANSI art, binary text), picked by suffix: .txt, .nfo, .bin...
TEXT_DEMUXERS = frozenset({"tty", "bin", "xbin", "adf", "idf"})


def open_container(path: str | Path) -> InputContainer:
    """Open `path` for reading, turning PyAV's errors into VideoError; the file must have a video stream."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"input not found: {path}")
    if path.is_dir():
        raise VideoError(f"input is a directory, not a video file: {path}")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoError(f"not a readable video file: {path} ({exc})") from exc
    try:
        if container.format.name in TEXT_DEMUXERS:
            raise VideoError(f"not a readable video file: {path} (a text file)")
        video_stream(container)
    except VideoError:
        container.close()
        raise
    return container


def video_stream(container: InputContainer) -> VideoStream:
    """The first video stream that is not an attached picture (cover art of an audio file)."""
    for stream in container.streams.video:
        if not is_cover_art(stream):
            return stream
    raise VideoError(f"no video stream in {container.name}")


def time_base(stream: Stream) -> Fraction:
    """The time base of an input stream (typed optional by PyAV; demuxers always set it)."""
    if stream.time_base is None:
        raise VideoError(f"stream {stream.index} of {stream.container.name} has no time base")
    return stream.time_base


class VideoReader:
    """Frames of a video file in presentation order, decoded one at a time.

    The constructor opens the file and decodes its first frame, so a file that cannot be used fails here with
    VideoError. Iterating re-reads the file from the start; one iteration at a time. A packet the decoder rejects
    as corrupt is skipped: it is counted in `skipped_packets` and reported through `on_warning`. Frame times are
    the stream's own timestamps less the first decoded frame's (`info.start`; in AVI, which stores decode times
    only, the frames' decode times less the first's), so variable frame rates come through and the first frame is
    at 0; a frame without one, or with one not after the previous frame's, is
    placed 1/fps after the previous frame. Subsampled chroma is upsampled as `chroma` says (`ChromaUpsampling`).
    """

    def __init__(self, path: str | Path, on_warning: Warn | None = None, chroma: ChromaUpsampling = "bilinear") -> None:
        self.path = Path(path)
        self.chroma: ChromaUpsampling = chroma
        self.skipped_packets = 0
        self._warn = on_warning
        self._last_odd_size: tuple[int, int] | None = None  # the size of the last frame unlike the first, if any
        self._container: InputContainer | None = None
        container = open_container(self.path)
        try:
            stream = video_stream(container)
            first = next(self._decode(container, stream, on_bad_packet=None), None)
            if first is None:
                raise VideoError(f"cannot decode any video frame of {self.path}")
            self.info = _describe(self.path, container, stream, first)
        finally:
            container.close()

    def __iter__(self) -> Iterator[SourceFrame]:
        self.close()
        container = self._container = open_container(self.path)
        self.skipped_packets = 0
        self._last_odd_size = None
        try:
            stream = video_stream(container)
            stream.thread_type = "AUTO"
            step = 1 / self.info.fps
            tick = time_base(stream)
            high_depth = self.info.bit_depth > 8
            in_decode_order = _stamps_decode_order(container)
            origin = None if in_decode_order else self.info.start  # AVI's: the first frame's decode time
            previous: Fraction | None = None
            for index, decoded in enumerate(self._decode(container, stream, on_bad_packet=self._skip)):
                frame = self._at_first_size(decoded, index)
                stamp = decoded.dts if in_decode_order else frame.pts
                if origin is None and stamp is not None:
                    origin = stamp * tick
                time = None if stamp is None or origin is None else stamp * tick - origin
                if time is None or (previous is not None and time <= previous):
                    time = Fraction(0) if previous is None else previous + step
                previous = time
                image = frame_to_rgb(frame, high_depth, self.chroma)
                yield SourceFrame(index=index, time=time, image=with_native(image, frame))
        finally:
            container.close()
            if self._container is container:
                self._container = None

    def _at_first_size(self, frame: av.VideoFrame, index: int) -> av.VideoFrame:
        """`frame`, scaled to the first frame's size if the stream changed size (as FFmpeg scales such streams)."""
        size = (self.info.width, self.info.height)
        if (frame.width, frame.height) == size:
            return frame
        if self._warn is not None and (frame.width, frame.height) != self._last_odd_size:
            self._warn(
                f"the picture size of {self.path.name} changes from {size[0]}x{size[1]} to {frame.width}x{frame.height}"
                f" at frame {index}; such frames are scaled to {size[0]}x{size[1]}"
            )
        self._last_odd_size = (frame.width, frame.height)
        scaled = frame.reformat(width=size[0], height=size[1], interpolation=Interpolation.BICUBIC)
        scaled.colorspace, scaled.color_range = frame.colorspace, frame.color_range
        return scaled

    def close(self) -> None:
        """Release the file opened by an unfinished iteration."""
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _skip(self, exc: av.error.FFmpegError) -> None:
        self.skipped_packets += 1
        if self._warn is not None:
            self._warn(f"skipped a corrupt video packet in {self.path.name} ({exc.strerror})")

    def _decode(
        self,
        container: InputContainer,
        stream: VideoStream,
        on_bad_packet: Callable[[av.error.FFmpegError], None] | None,
    ) -> Iterator[av.VideoFrame]:
        """Decoded frames; corrupt packets go to `on_bad_packet` (or are ignored when it is None)."""
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets, None)
            except av.error.FFmpegError as exc:
                raise VideoError(f"cannot read {self.path}: {exc.strerror}") from exc
            if packet is None:
                return
            try:
                frames = packet.decode()
            except av.error.InvalidDataError as exc:
                if on_bad_packet is not None:
                    on_bad_packet(exc)
                continue
            except av.error.FFmpegError as exc:
                raise VideoError(f"cannot decode {self.path}: {exc.strerror}") from exc
            yield from frames


# The nominal rate is taken over the average only this close to it: a nominal rate twice the average is a field rate
# (interlaced video) or a time base, not the rate of the frames.
_NOMINAL_RATE_SPAN = Fraction(3, 2)
_RATE_PACKETS = 64  # packets whose timestamps are read for the interval a file stores
PacketTimes = tuple[int | None, int | None]  # a packet's (pts, dts)


def _frame_rate(stream: VideoStream, leading: list[PacketTimes]) -> Fraction | None:
    """The rate whose grid the stream's frames lie on: FFmpeg's guess of the nominal rate (`av_guess_frame_rate`,
    mostly r_frame_rate) where nearly all of the `leading` frames are stored that far apart (`stored_interval_rate`)
    or it is within 1.5 times the average rate; else the average, or the guess where there is no average.

    The average counts frames over the duration, so a stream that drops a frame now and then (a camera or a capture
    that could not keep up, a frame cut out) has an average below its nominal rate: 29.56 fps for 30000/1001 video
    with three frames missing. Output on the average's grid fell between the source frames and replaced nearly all
    of them with made frames. AVI counts the frames it leaves out too: an MP4 copied into AVI on a 1/600 s clock
    lists 600 frames a second, 24 of them empty for each picture.
    """
    nominal = stream.guessed_rate
    average = None if _stamps_decode_order(stream.container) else stream.average_rate  # AVI's counts empty slots
    if not nominal:
        return Fraction(average) if average else None
    steady = stored_interval_rate(leading, time_base(stream), Fraction(nominal))
    if steady is not None:
        return steady
    if not average or average / _NOMINAL_RATE_SPAN <= nominal <= average * _NOMINAL_RATE_SPAN:
        return Fraction(nominal)
    return Fraction(average)


def leading_packets(path: Path, stream: VideoStream) -> list[PacketTimes]:
    """(pts, dts) of the stream's first packets that hold data (`_RATE_PACKETS` of them), read from a separate
    handle; none where the start is damaged (decoding copes with it)."""
    try:
        with open_container(path) as container:
            packets = (p for p in container.demux(container.streams[stream.index]) if p.size)
            return [(p.pts, p.dts) for p in itertools.islice(packets, _RATE_PACKETS)]
    except av.error.FFmpegError:
        return []


def stored_interval_rate(leading: list[PacketTimes], tick: Fraction, nominal: Fraction) -> Fraction | None:
    """1 / the interval that nearly all of the `leading` packets' timestamps (in `tick`s) are apart, where there is
    one and it lies within 1% of `nominal`; else None.

    FFmpeg's guess can be off the interval a file actually stores: propainter_test-sample1 stores frames 1000/29847 s
    apart, FFmpeg guesses 179/6 fps, and the output grid drifted off its frames (a third of them copied at 2x). Where
    the intervals vary (Matroska's whole milliseconds), there is none.
    """
    stamps = sorted(pts for pts, _ in leading if pts is not None)
    steps = Counter(b - a for a, b in itertools.pairwise(stamps) if b > a)
    if not steps:
        return None
    step, count = steps.most_common(1)[0]
    rate = 1 / (step * tick)
    if count < 0.9 * sum(steps.values()) or abs(rate / nominal - 1) > Fraction(1, 100):
        return None
    return rate


def _describe(path: Path, container: InputContainer, stream: VideoStream, first: av.VideoFrame) -> VideoInfo:
    """VideoInfo from the opened container, its video stream and the stream's first decoded frame."""
    leading = leading_packets(path, stream)
    fps = _frame_rate(stream, leading)
    if not fps:
        raise VideoError(f"cannot determine the frame rate of {path}")
    duration = _stream_duration(stream)
    if duration is None and container.duration:
        duration = Fraction(container.duration, av.time_base)
    return VideoInfo(
        path=path,
        width=first.width,
        height=first.height,
        fps=Fraction(fps),
        time_base=time_base(stream),
        duration=duration,
        frame_count=stream.frames or None,
        codec=stream.codec_context.codec.canonical_name,
        pix_fmt=first.format.name,
        bit_depth=bit_depth(first.format.name),
        color_range=first.color_range,
        colorspace=first.colorspace,
        color_primaries=first.color_primaries,
        color_trc=first.color_trc,
        has_audio=bool(container.streams.audio),
        has_subtitles=bool(container.streams.subtitles),
        has_extras=bool(container.chapters()) or any(_is_extra(s) for s in container.streams),
        container_format=container.format.name,
        metadata=dict(container.metadata),
        stream_metadata=dict(stream.metadata),
        start=_first_time(stream, first, leading),
        display_matrix=_display_matrix(first),
        sample_aspect_ratio=_sample_aspect_ratio(stream),
        hdr=read_hdr_metadata(_side_data(first, MASTERING_SIDE_DATA), _side_data(first, LIGHT_SIDE_DATA)),
    )


def _is_extra(stream: av.stream.Stream) -> bool:
    """An attachment (a font) or cover art."""
    return stream.type == "attachment" or is_cover_art(stream)


def is_cover_art(stream: av.stream.Stream) -> bool:
    """Whether `stream` is an attached picture (cover art), not video."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _side_data(frame: av.VideoFrame, name: str) -> bytes | None:
    """The bytes of the frame's side data called `name` (PyAV's Type names), or None."""
    found = cast(SideData | None, frame.side_data.get(name))  # the stubs' Mapping has str values
    return None if found is None else bytes(found)


def _display_matrix(frame: av.VideoFrame) -> tuple[int, ...] | None:
    """The frame's display matrix side data as 9 int32, or None for none or the identity."""
    side_data = _side_data(frame, "DISPLAYMATRIX")
    if side_data is None:
        return None
    matrix = tuple(np.frombuffer(side_data, dtype="<i4").tolist())
    return None if matrix == IDENTITY_MATRIX else matrix


def _sample_aspect_ratio(stream: VideoStream) -> Fraction | None:
    """The stream's pixel aspect ratio (from the container, else the codec), None where it is unset or 1."""
    ratio = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    return Fraction(ratio) if ratio and ratio != 1 else None


def _stamps_decode_order(container: av.container.Container) -> bool:
    """Whether the container stores decode times only (AVI): a time slot per packet (gaps are frames a capture
    dropped). FFmpeg's presentation times are those times shifted, and a decoder that reorders frames (H.264 with
    B-frames) hands them out of order; the decode time of the packet that brought each picture out runs in display
    order, a decoder's delay after the picture's own slot. The first picture's own slot is the first packet's."""
    return container.format.name == "avi"


def _first_time(stream: VideoStream, first: av.VideoFrame, leading: list[PacketTimes]) -> Fraction:
    """The first decoded frame's time on the source's clock (in AVI the decode time of the first of the `leading`
    packets, its slot); frames before the first keyframe may not decode, so it can lie after the stream's
    start_time."""
    slots = [dts for _, dts in leading if dts is not None] if _stamps_decode_order(stream.container) else []
    pts = slots[0] if slots else first.pts if first.pts is not None else stream.start_time
    return Fraction(0) if pts is None else pts * time_base(stream)


def _stream_duration(stream: VideoStream) -> Fraction | None:
    """Duration from the stream header, or from the DURATION tag that Matroska muxers write ("HH:MM:SS.nnn")."""
    if stream.duration:
        return stream.duration * time_base(stream)
    hours, _, rest = stream.metadata.get("DURATION", "").partition(":")
    minutes, _, seconds = rest.partition(":")
    try:
        return int(hours) * 3600 + int(minutes) * 60 + Fraction(seconds)
    except ValueError:
        return None


def iter_video_frames(path: str | Path) -> Iterator[np.ndarray]:
    """RGB uint8 frames of the first video stream, in presentation order (>8-bit video is scaled to 8 bits)."""
    with VideoReader(path) as reader:
        for frame in reader:
            yield to_uint8(frame.image)
