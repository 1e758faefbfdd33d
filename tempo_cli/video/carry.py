"""Carrying a source file's audio and subtitle streams into a new video file, interleaved with its video.

Packets are copied as they are when the output container can hold the codec and no padding is asked for. Audio
that needs padding, or whose codec the container cannot hold, is decoded and re-encoded (to AAC, or Opus or MP2
for containers without AAC). Text subtitles the container cannot hold are converted to a text codec it holds
(`subtitle_text`); other subtitles it cannot hold are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import cast

import av
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.stream import Stream
from av.subtitles.codeccontext import SubtitleCodecContext

from tempo_cli.video.containers import (
    accepts,
    encodable_layout,
    fallback_audio_codec,
    holds_text_subtitles,
    usable_encoder,
)
from tempo_cli.video.reader import VideoError, VideoInfo, Warn, open_container, time_base
from tempo_cli.video.stretch import AudioStretch, silent_frame
from tempo_cli.video.subtitle_text import DEFAULT_ASS_HEADER, TARGET_CODECS, TEXT_CODECS, cue_payload, cue_text

_STREAM_TAGS = ("language", "title")
# A gap this long in re-encoded audio's timestamps is filled with silence (shorter ones are timestamp jitter). A
# source whose AAC left 36 ms out after its first packet played that much early for its whole length when the
# decoded frames were joined end to end; copied packets keep their timestamps and never had the problem.
AUDIO_GAP = Fraction(1, 50)
_PLAIN_LAYOUTS = {1: "mono", 2: "stereo"}
# Audio re-encoded to its own codec keeps the source's bit rate above this; below it the encoders' defaults do as
# well, and a variable-rate source's rate (FFmpeg reads it off the first frame) can be far below its average.
_CARRIED_BIT_RATE_FLOOR = 128_000


@dataclass(frozen=True)
class AudioPadding:
    """Silence for the carried audio: `lead` seconds before it (the picture starts that much later too) and, with
    `to_end`, after it up to the end of the picture where the audio ends sooner (frames added after the clip)."""

    lead: Fraction = Fraction(0)
    to_end: bool = False


NO_PADDING = AudioPadding()


class StreamCarrier:
    """Copies the audio and subtitle streams of the `source` file into `output`.

    Output time = (source time - `source.start`) * `slowdown` + `padding.lead`: time 0 is the source's first decoded
    video frame. Audio to be padded is re-encoded (`AudioPadding`), and with `slowdown` > 1 it is played that many
    times slower at the same pitch (subtitles keep their place in the slowed picture). Create it before the output's
    header is written, then call `advance(t)` as video up to output time t has been written, and `finish(end)` once
    at the end, with the output time at which the picture ends.
    """

    def __init__(
        self,
        source: VideoInfo,
        output: OutputContainer,
        padding: AudioPadding,
        on_warning: Warn,
        slowdown: Fraction = Fraction(1),
    ) -> None:
        self._input = open_container(source.path)
        self._output = output
        self._warn = on_warning
        self._slowdown = Fraction(slowdown)
        try:
            self._output_time = output_clock(source, padding, self._slowdown)
            self._shift = self._output_time(Fraction(0))
            self._routes = self._plan(source.path, padding)
        except BaseException:
            self._input.close()
            raise
        wanted = [s for s in self._input.streams if s.index in self._routes]
        self._packets: Iterator[av.Packet] = self._input.demux(wanted) if wanted else iter(())
        self._pending: av.Packet | None = None

    def advance(self, until: Fraction | None) -> None:
        """Write the carried packets that start at or before output time `until` (all of them if None)."""
        while True:
            packet = self._pending or self._next_packet()
            if packet is None:
                return
            self._pending = None
            if packet.size == 0:
                continue
            stamp = packet.dts if packet.dts is not None else packet.pts
            if until is not None and stamp is not None and self._output_time(stamp * packet.time_base) > until:
                self._pending = packet
                return
            self._routes[packet.stream.index].push(packet)

    def finish(self, picture_end: Fraction) -> None:
        """Write everything left, flush the audio encoders (padding to `picture_end` where asked) and close the
        source."""
        self.advance(None)
        for route in self._routes.values():
            route.finish(picture_end)
        self.close()

    def close(self) -> None:
        """Close the source file."""
        self._input.close()

    def _next_packet(self) -> av.Packet | None:
        try:
            return next(self._packets, None)
        except av.error.FFmpegError as exc:
            raise VideoError(f"cannot read the audio/subtitles of {self._input.name}: {exc.strerror}") from exc

    def _plan(self, source: Path, padding: AudioPadding) -> dict[int, _Remux | _Transcode]:
        """Add an output stream for each carried input stream; returns the routes by input stream index."""
        routes: dict[int, _Remux | _Transcode] = {}
        firsts = _first_packets(source, [s.index for s in self._input.streams.audio])
        for stream in self._input.streams.audio:
            routes[stream.index] = self._audio_route(stream, firsts.get(stream.index), padding)
        for subtitles in self._input.streams.subtitles:
            codec = _codec_name(subtitles)
            if codec in TEXT_CODECS and not holds_text_subtitles(self._output.format.name):
                self._warn(f"dropping a {codec} subtitle stream: {_container(self._output)} cannot hold text subtitles")
                continue
            if accepts(self._output.format.name, partial(_copy_stream, stream=subtitles)):
                text_codec = None
            elif (text_codec := self._text_codec_held(codec)) is None:
                self._warn(f"dropping a {codec} subtitle stream: {_container(self._output)} cannot hold it")
                continue
            routes[subtitles.index] = _Remux(
                self._output, subtitles, self._shift, self._slowdown, True, self._warn, convert_to=text_codec
            )
        return routes

    def _text_codec_held(self, codec: str) -> str | None:
        """For text subtitles in `codec`, the first text codec of TARGET_CODECS the output container holds."""
        if codec not in TEXT_CODECS:
            return None
        held = (c for c in TARGET_CODECS if accepts(self._output.format.name, partial(_text_stream, codec=c)))
        return next(held, None)

    def _audio_route(self, stream: AudioStream, first: av.Packet | None, padding: AudioPadding) -> _Remux | _Transcode:
        holds_codec = accepts(self._output.format.name, partial(_copy_stream, stream=stream), first)
        to_end = padding.to_end
        if holds_codec and not (padding.lead or to_end) and self._slowdown == 1:
            return _Remux(self._output, stream, self._shift, self._slowdown, clip_to_picture=False, warn=self._warn)
        codec = _codec_name(stream)
        if holds_codec and usable_encoder(codec):
            return _Transcode(self._output, stream, codec, self._output_time, to_end, self._warn, self._slowdown)
        fallback = fallback_audio_codec(self._output.format.name, _ordered(stream.layout))
        if fallback is None:
            raise VideoError(f"{_container(self._output)} cannot hold {codec} audio, nor AAC, Opus or MP2")
        self._warn(f"{_container(self._output)} cannot hold {codec} audio; re-encoding it to {fallback}")
        return _Transcode(self._output, stream, fallback, self._output_time, to_end, self._warn, self._slowdown)


class _Remux:
    """Copies packets unchanged apart from their timestamps (and durations, scaled by `slowdown`), or with
    `convert_to` rewrites text subtitle cues into that codec (a cue left without words is left out).

    Audio packets from before the first video frame keep their negative times, as the source had that audio before
    its picture. With `clip_to_picture` (subtitles) a cue that ends by then is left out and one that runs past it
    starts at time 0: MP4 cannot place timed text before 0, and shifted every cue's length by one cue.

    Where the source's timestamps go back (files joined end to end), muxers refuse the packet: it is left out, with
    a warning (its sound or cue overlaps what was written, and the rest stays in sync). Subtitle cues may start
    together (two lines, ASS layers); audio packets may not.
    """

    def __init__(
        self,
        output: OutputContainer,
        stream: Stream,
        shift: Fraction,
        slowdown: Fraction,
        clip_to_picture: bool,
        warn: Warn,
        convert_to: str | None = None,
    ) -> None:
        self._output = output
        self._stream = _copy_stream(output, stream) if convert_to is None else _text_stream(output, convert_to)
        _copy_labels(stream, self._stream)
        self._convert = None if convert_to is None else (_codec_name(stream), convert_to)
        self._offset = round(shift / time_base(stream))
        self._slowdown = slowdown
        self._clip = clip_to_picture
        self._warn = warn
        self._last_dts: int | None = None
        self._overlaps = 0

    def push(self, packet: av.Packet) -> None:
        if packet.pts is not None:
            packet.pts = round(packet.pts * self._slowdown) + self._offset
        if packet.dts is not None:
            packet.dts = round(packet.dts * self._slowdown) + self._offset
        if packet.duration:
            packet.duration = round(packet.duration * self._slowdown)
        start = packet.pts if packet.pts is not None else packet.dts
        if self._clip and start is not None and start < 0:
            if packet.duration and start + packet.duration <= 0:
                return
            if packet.duration:
                packet.duration += start
            packet.pts = packet.dts = 0
        if self._goes_back(packet.dts):
            self._overlaps += 1
            return
        if self._convert is not None:
            text = cue_text(self._convert[0], bytes(packet))
            if not text.strip():
                return
            packet = _rewritten(packet, cue_payload(self._convert[1], text))
        self._last_dts = packet.dts if packet.dts is not None else self._last_dts
        packet.stream = self._stream
        self._output.mux(packet)

    def _goes_back(self, dts: int | None) -> bool:
        """Whether a packet at `dts` lies before the last one written (or with it, for audio)."""
        if dts is None or self._last_dts is None:
            return False
        return dts < self._last_dts or (dts == self._last_dts and not self._clip)

    def finish(self, picture_end: Fraction) -> None:
        """Nothing is buffered, and copied packets are never padded (to `picture_end` or otherwise); say how many
        packets went back."""
        if self._overlaps:
            kind = self._stream.type
            self._warn(f"left out {self._overlaps} {kind} packets whose timestamps went back over earlier {kind}")


class _Transcode:
    """Decodes audio packets and re-encodes them as one gap-free track, with silence before and, with `to_end`,
    after it up to the end of the picture.

    The first decoded sample lands at `output_time(its source time)`: silence fills the gap before it, or the
    track starts before time 0 (sound from before the first picture). With `slowdown` > 1 the audio is played that
    many times slower at the same pitch (`AudioStretch`).
    """

    def __init__(
        self,
        output: OutputContainer,
        stream: AudioStream,
        codec: str,
        output_time: Callable[[Fraction], Fraction],
        to_end: bool,
        warn: Warn,
        slowdown: Fraction,
    ) -> None:
        self._output = output
        self._input = stream
        self._output_time = output_time
        self._to_end = to_end
        self._warn = warn
        decoder = stream.codec_context
        encoder = av.codec.Codec(codec, "w")
        rate = decoder.sample_rate
        if encoder.audio_rates and rate not in encoder.audio_rates:
            rate = 48000 if 48000 in encoder.audio_rates else max(encoder.audio_rates)
        self._stream = cast(AudioStream, output.add_stream(codec, rate=rate, time_base=Fraction(1, rate)))
        self._stream.layout = encodable_layout(codec, _ordered(decoder.layout))
        if codec == _codec_name(stream) and (stream.bit_rate or 0) > _CARRIED_BIT_RATE_FLOOR:
            self._stream.bit_rate = stream.bit_rate  # the source's, where it is re-encoded to its own codec
        formats = [f.name for f in encoder.audio_formats or ()]
        self._stream.format = decoder.format.name if not formats or decoder.format.name in formats else formats[0]
        _copy_labels(stream, self._stream)
        self._resampler = av.AudioResampler(format=self._stream.format, layout=self._stream.layout, rate=rate)
        self._fifo = av.AudioFifo()
        self._stretch = AudioStretch(slowdown) if slowdown != 1 else None
        self._next_pts: int | None = None
        self._drop = 0
        self._source_end: Fraction | None = None  # source time the samples queued so far reach

    def push(self, packet: av.Packet) -> None:
        try:
            frames = self._input.decode(packet)
        except av.error.InvalidDataError as exc:
            self._warn(f"skipped a corrupt audio packet ({exc.strerror})")
            return
        for frame in frames:
            self._add(frame)
        self._encode(flush=False)

    def finish(self, picture_end: Fraction) -> None:
        for frame in self._input.decode(None):
            self._add(frame)
        for frame in self._stretch.flush() if self._stretch is not None else ():
            self._resample(frame)
        for frame in self._resampler.resample(None):
            self._queue(frame)
        if self._next_pts is None:  # no sound at all: silence from time 0
            self._start(self._untimed_start())
        if self._to_end:
            assert self._next_pts is not None
            self._queue_silence(picture_end - Fraction(self._next_pts + self._fifo.samples, self._stream.sample_rate))
        self._encode(flush=True)
        self._output.mux(self._stream.encode(None))

    def _add(self, frame: av.AudioFrame) -> None:
        """Queue a decoded frame. Where the source's timestamps have run AUDIO_GAP or more ahead of the samples queued
        so far (one gap, or small ones adding up), silence fills the difference first; where they have gone back as
        far (files joined end to end), as many samples are left out."""
        source_time = frame.pts * time_base(self._input) if frame.pts is not None else None
        if self._source_end is None:
            self._start(self._untimed_start() if source_time is None else self._output_time(source_time))
            self._source_end = source_time or Fraction(0)
        elif source_time is not None and source_time - self._source_end >= AUDIO_GAP:
            self._fill(source_time - self._source_end, frame)
            self._source_end = source_time
        elif source_time is not None and self._source_end - source_time >= AUDIO_GAP:
            overlap = self._output_time(self._source_end) - self._output_time(source_time)
            self._drop += round(overlap * self._stream.sample_rate)
            self._source_end = source_time
        self._source_end += Fraction(frame.samples, frame.sample_rate)
        self._stretch_and_resample(frame)

    def _fill(self, seconds: Fraction, like: av.AudioFrame) -> None:
        """Queue `seconds` of silence in `like`'s format, a second at a time, encoding as it goes."""
        for samples in _seconds_of(round(seconds * like.sample_rate), like.sample_rate):
            self._stretch_and_resample(silent_frame(like.format.name, like.layout.name, like.sample_rate, samples))
            self._encode(flush=False)

    def _stretch_and_resample(self, frame: av.AudioFrame) -> None:
        for stretched in self._stretch.push(frame) if self._stretch is not None else (frame,):
            self._resample(stretched)

    def _resample(self, frame: av.AudioFrame) -> None:
        for resampled in self._resampler.resample(frame):
            self._queue(resampled)

    def _start(self, first_sample: Fraction) -> None:
        """Begin the output track with the first source sample at output time `first_sample` seconds: after silence
        from time 0, or at that negative time for sound from before the first picture (kept, as `_Remux` keeps it;
        it had been dropped)."""
        self._next_pts = min(0, round(first_sample * self._stream.sample_rate))
        self._queue_silence(first_sample)

    def _untimed_start(self) -> Fraction:
        """Where a track without timestamps (or without sound) starts: source time 0, and never before output time 0
        (a source whose streams start at 5 s would otherwise have been given 5 s of silence before its picture)."""
        return max(Fraction(0), self._output_time(Fraction(0)))

    def _queue(self, frame: av.AudioFrame | None) -> None:
        if frame is None:
            return
        frame.pts = None  # the FIFO checks continuity of pts; output pts are assigned in _encode
        self._fifo.write(frame)
        dropped = self._fifo.read(min(self._drop, self._fifo.samples)) if self._drop and self._fifo.samples else None
        if dropped is not None:
            self._drop -= dropped.samples

    def _queue_silence(self, seconds: Fraction) -> None:
        """Queue `seconds` of silence in the output's format (none for 0 or less), a second at a time, encoding as it
        goes: the frames added far ahead or behind the clip once made all of it in one frame (15 GB for 11 hours of
        48 kHz stereo)."""
        rate = self._stream.sample_rate
        for samples in _seconds_of(round(seconds * rate), rate):
            self._queue(silent_frame(self._stream.format.name, self._stream.layout.name, rate, samples))
            self._encode(flush=False)

    def _encode(self, flush: bool) -> None:
        """Encode whole encoder frames from the FIFO, and with `flush` also the remainder."""
        size = self._stream.codec_context.frame_size or max(self._fifo.samples, 1)
        while self._fifo.samples >= size or (flush and self._fifo.samples):
            frame = self._fifo.read(min(size, self._fifo.samples))
            if frame is None or self._next_pts is None:
                return
            frame.pts = self._next_pts
            frame.time_base = Fraction(1, self._stream.sample_rate)
            self._next_pts += frame.samples
            self._output.mux(self._stream.encode(frame))


def _first_packets(source: Path, indexes: list[int]) -> dict[int, av.Packet]:
    """The first non-empty packet of each stream in `indexes` (read from a separate handle on `source`)."""
    found: dict[int, av.Packet] = {}
    if not indexes:
        return found
    with av.open(str(source)) as peek:
        for packet in peek.demux([peek.streams[i] for i in indexes]):
            if packet.size and packet.stream.index not in found:
                found[packet.stream.index] = packet
                if len(found) == len(indexes):
                    break
    return found


def _copy_stream(output: OutputContainer, stream: Stream) -> Stream:
    """An output stream for copying `stream`'s packets."""
    copy = output.add_stream_from_template(stream)
    if isinstance(copy, AudioStream):
        copy.layout = _ordered(copy.layout)
    return copy


def _text_stream(output: OutputContainer, codec: str) -> Stream:
    """An output stream for text subtitle cues of `codec`, written as packets. MP4 timed text goes through its
    encoder, which writes the sample description (default style and font) that players need."""
    if codec != "mov_text":
        return output.add_mux_stream(codec)
    stream = output.add_stream(codec)
    cast(SubtitleCodecContext, stream.codec_context).subtitle_header = DEFAULT_ASS_HEADER
    return stream


def _rewritten(packet: av.Packet, payload: bytes) -> av.Packet:
    """A packet holding `payload` at `packet`'s times."""
    rewritten = av.Packet(payload)
    rewritten.time_base = packet.time_base
    rewritten.pts, rewritten.dts, rewritten.duration = packet.pts, packet.dts, packet.duration
    return rewritten


def output_clock(source: VideoInfo, padding: AudioPadding, slowdown: Fraction) -> Callable[[Fraction], Fraction]:
    """Source seconds to output seconds: the source's first decoded frame at `padding.lead`, slowed by `slowdown`."""
    return lambda time: (time - source.start) * slowdown + padding.lead


def _ordered(layout: av.AudioLayout) -> av.AudioLayout:
    """`layout`, or mono/stereo for a 1- or 2-channel layout without channel positions (as in Matroska PCM).

    MP4 cannot store a layout without positions.
    """
    if all(channel.name == "NONE" for channel in layout.channels):
        return av.AudioLayout(_PLAIN_LAYOUTS.get(layout.nb_channels, layout.name))
    return layout


def _codec_name(stream: Stream) -> str:
    return stream.codec_context.codec.canonical_name if stream.codec_context else stream.codec.name


def _container(output: OutputContainer) -> str:
    return f"the {Path(output.name).suffix or output.format.name} container"


def _copy_labels(source: Stream, target: Stream) -> None:
    """The stream's language and title tags and its disposition (default, forced, hearing impaired...)."""
    for key in _STREAM_TAGS:
        if key in source.metadata:
            target.metadata[key] = source.metadata[key]
    target.disposition = source.disposition


def _seconds_of(samples: int, rate: int) -> Iterator[int]:
    """`samples` (none for 0 or less) cut into pieces of at most a second at `rate`."""
    for start in range(0, samples, rate):
        yield min(rate, samples - start)
