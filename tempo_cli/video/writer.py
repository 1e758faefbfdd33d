"""Encoding RGB frames into a video file that appears at its final path only when complete."""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import cast

import av
import numpy as np
from av.container import OutputContainer
from av.video.stream import VideoStream

from tempo_cli.video.background import OrderedWorker
from tempo_cli.video.carry import NO_PADDING, AudioPadding, StreamCarrier, output_clock
from tempo_cli.video.containers import holds_video, kept_colour_tags, pixel_formats, takes_pixel_format, usable_encoder
from tempo_cli.video.encoding import (
    MAX_LOSSY_DEPTH,
    ODD_SIZE_CODECS,
    EncodeOptions,
    lossless_format,
    video_encoder,
    video_settings,
)
from tempo_cli.video.extras import carry_extras
from tempo_cli.video.hdr import HDR_ENCODERS
from tempo_cli.video.native import reusable_native
from tempo_cli.video.paths import temporary_sibling, validate_output_path
from tempo_cli.video.pixels import alpha_dropped, bit_depth, chroma_steps, rgb_to_frame
from tempo_cli.video.reader import VideoError, VideoInfo, Warn, open_container
from tempo_cli.video.timecode import retimed

__all__ = ["EncodeOptions", "VideoWriter", "validate_output_path"]

# Container tags that describe the old file rather than its content; the muxer writes its own.
_TECHNICAL_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})
# The video stream's tags carried over (MP4 and MOV write a timecode track for "timecode").
_VIDEO_STREAM_TAGS = frozenset({"language", "title", "timecode"})
# What each colour tag is called in a warning.
_TAG_NAMES = {"colorspace": "matrix", "color_primaries": "primaries", "color_trc": "transfer"}


def _ignore(_message: str) -> None:
    """Default warning handler."""


def _chroma_samples(pix_fmt: str) -> int:
    """Chroma samples per 16x16 pixels of YUV `pix_fmt` (256 for 4:4:4, 64 for 4:2:0); 0 for RGB and grey, whose
    4:2:0 output is the usual choice, not a loss worth a warning."""
    fmt = av.VideoFormat(pix_fmt)
    if fmt.is_rgb or len(fmt.components) < 3:
        return 0
    step_x, step_y = chroma_steps(fmt)
    return 256 // (step_x * step_y)


def _holds_exactly(chosen: str, own: str) -> bool:
    """Whether frames in pixel format `own` go into `chosen` and back unchanged: the same format, or RGB or grey into
    RGB of the same depth or more (rgb24 as gbrp or bgr0, gray as gbrp)."""
    if chosen == own:
        return True
    source = av.VideoFormat(own)
    rgb_or_grey = source.is_rgb or len(source.components) == 1
    return rgb_or_grey and av.VideoFormat(chosen).is_rgb and bit_depth(chosen) >= bit_depth(own)


class VideoWriter:
    """Writes frames at a constant rate `fps` into `target` (container chosen by its suffix).

    Everything goes to a hidden temporary file beside `target`; `commit()` renames it onto `target` atomically.
    `abort()`, `close()` without `commit()`, and leaving the `with` block without `commit()` (including on an
    exception or KeyboardInterrupt) delete the temporary file. With a `source`, its colour tags, rotation and
    container tags are carried over, and with `copy_streams` also its audio and subtitle streams (see carry.py);
    `audio_padding` says what silence is added to the audio (`AudioPadding`), and with `slowdown` > 1 the audio and
    subtitles are stretched to a picture played that many times slower (see carry.py). Frames are converted on
    the caller's thread and encoded in order on a background thread (see background.py); an encoding error is
    raised at a later `write()` or at `commit()`, and `on_warning` may be called from that thread.
    """

    def __init__(
        self,
        target: Path,
        fps: Fraction,
        width: int,
        height: int,
        options: EncodeOptions,
        source: VideoInfo | None = None,
        copy_streams: bool = True,
        audio_padding: AudioPadding = NO_PADDING,
        on_warning: Warn | None = None,
        slowdown: Fraction = Fraction(1),
    ) -> None:
        self.target = Path(target)
        self.fps = Fraction(fps)
        self.width = width
        self.height = height
        self._lead = audio_padding.lead  # the output time of the source's first frame
        self._warn = on_warning or _ignore
        self._temp = temporary_sibling(self.target)
        self._output: OutputContainer | None = None
        self._carrier: StreamCarrier | None = None
        self._last_pts: int | None = None
        self._committed = False
        self._worker: OrderedWorker | None = None
        self._held: list[str] | None = []  # warnings wait until the output has started: a failed start is one line
        self._told: set[str] = set()
        try:
            self._output = av.open(str(self._temp), mode="w")
            container = self._output.format.name
            self.settings = video_settings(options, width, height, source, container)
            tags = ("colorspace", "color_range", "color_primaries", "color_trc")
            self._frame_tags = {n: v for n in tags if (v := getattr(self.settings, n)) is not None}
            self._report_losses(source, options.pix_fmt is None, container)
            if source is not None and options.pix_fmt is None:
                self._report_conversion(source.pix_fmt, options.lossless, width, height)
            self._stream = self._add_video(self._output, source)
            self._open_encoder()
            if source is not None and copy_streams and (source.has_audio or source.has_subtitles):
                self._carrier = StreamCarrier(source, self._output, audio_padding, self._tell, slowdown)
            covers: list[av.Packet] = []
            if source is not None and copy_streams and source.has_extras:
                with open_container(source.path) as extras:
                    end = None if source.duration is None else source.start + source.duration
                    clock = output_clock(source, audio_padding, slowdown)
                    covers = carry_extras(extras, self._output, clock, end, self._tell)
            self._output.start_encoding()
            for cover in covers:
                self._output.mux(cover)
            self._worker = OrderedWorker()
        except (ValueError, av.error.FFmpegError) as exc:
            self.abort()
            if isinstance(exc, VideoError):
                raise
            reason = exc.strerror if isinstance(exc, av.error.FFmpegError) and exc.strerror else str(exc)
            raise VideoError(f"cannot write {self.target}: {reason}") from exc  # not the hidden temporary file
        except BaseException:
            self.abort()
            raise
        held, self._held = self._held, None
        for warning in held:
            self._warn(warning)

    def _open_encoder(self) -> None:
        """Open the video encoder before the other streams, so that its refusal names it (a hardware encoder
        without its device said only "Operation not permitted")."""
        try:
            self._stream.codec_context.open()
        except av.error.FFmpegError as exc:
            reason = exc.strerror or str(exc)
            raise VideoError(
                f"cannot write {self.target}: the {self.settings.codec} encoder did not start ({reason})"
            ) from exc

    def _report_losses(self, source: VideoInfo | None, depth_chosen_here: bool, container: str) -> None:
        """Warn of what the output (a `container` file) cannot keep of `source`: bit depth (where tempo chose the
        pixel format), colour tags, HDR10 metadata."""
        codec = self.settings.codec
        depth = bit_depth(self.settings.pix_fmt)
        if source is not None and depth_chosen_here and depth < min(source.bit_depth, MAX_LOSSY_DEPTH):
            self._tell(f"{codec} cannot store {source.bit_depth}-bit video; writing {depth}-bit")
        if (
            source is not None
            and depth_chosen_here
            and not av.VideoFormat(self.settings.pix_fmt).is_rgb  # RGB has a colour sample at every pixel
            and _chroma_samples(self.settings.pix_fmt) < _chroma_samples(source.pix_fmt)
        ):
            keeps = takes_pixel_format(codec, source.pix_fmt)
            advice = f"--pix-fmt {source.pix_fmt} keeps it" if keeps else f"{codec} cannot keep it"
            self._tell(
                f"the source's colour is stored at a higher resolution ({source.pix_fmt}) than the output's "
                f"({self.settings.pix_fmt}, which every player shows); {advice}"
            )
        lost = self.settings.colour_tags - kept_colour_tags(container, codec)
        if lost:
            names = ", ".join(sorted(_TAG_NAMES[tag] for tag in lost))
            self._tell(
                f"{codec} video in a {self.target.suffix} file cannot keep its colour tags ({names}): players will "
                "guess how to show the colours"
            )
        if source is not None and (alpha := alpha_dropped(source.pix_fmt)):
            self._tell(alpha)
        if source is not None and source.hdr is not None and codec not in HDR_ENCODERS:
            carriers = [c for c in sorted(HDR_ENCODERS) if usable_encoder(c) and holds_video(container, c)]
            advice = f"; --codec {' or '.join(carriers)} keeps it" if carriers else ""
            self._tell(
                f"{codec} cannot store the source's HDR10 mastering metadata (brightness and colour volume){advice}"
            )

    def _report_conversion(self, source_fmt: str, lossless: bool, width: int, height: int) -> None:
        """Warn where lossless output could not keep the source's own pixel format (an RGB source with H.264, or an
        odd size), and where an odd size kept a subsampled source from 4:2:0: both chosen without a word before."""
        chosen = self.settings.pix_fmt
        codec = self.settings.codec
        own = lossless_format(source_fmt)
        odd = bool(width % 2 or height % 2)
        subsampled = 0 < _chroma_samples(source_fmt) < _chroma_samples("yuv444p")
        if lossless and own is not None and not _holds_exactly(chosen, own):
            cannot = (
                f"a {width}x{height} frame (odd) cannot stay {source_fmt} with {codec}"
                if odd and subsampled and own in pixel_formats(video_encoder(codec))  # the size, not the format
                else f"{codec} cannot keep the source's {source_fmt}"
            )
            advice = " (--codec ffv1 keeps them)" if codec != "ffv1" else ""
            self._tell(f"{cannot}; writing {chosen}, so the source frames are converted, not kept bit-exact{advice}")
        elif (
            not lossless
            and odd
            and subsampled
            and codec not in ODD_SIZE_CODECS
            and _chroma_samples(chosen) > _chroma_samples("yuv420p")
            and self._has_4_2_0(codec)
        ):
            self._tell(
                f"a {width}x{height} frame (odd) is written as {chosen} with {codec}, which some players (browsers, "
                f"phones) cannot play; 4:2:0 at odd sizes is written with {', '.join(sorted(ODD_SIZE_CODECS))}, or "
                "crop or scale to even"
            )

    @staticmethod
    def _has_4_2_0(codec: str) -> bool:
        """Whether `codec` writes 4:2:0 at all (ProRes and DNxHR do not, whatever the size)."""
        samples = _chroma_samples("yuv420p")
        return any(_chroma_samples(f) == samples for f in pixel_formats(video_encoder(codec)))

    def _tell(self, warning: str) -> None:
        """Pass a warning on, or hold it while the output is being set up; once each (two AAC tracks going into
        .webm had said so twice, word for word)."""
        if warning in self._told:
            return
        self._told.add(warning)
        if self._held is None:
            self._warn(warning)
        else:
            self._held.append(warning)

    def write(self, image: np.ndarray, time: Fraction) -> None:
        """Encode `image` ((H, W, 3) RGB uint8 or uint16) as the frame shown at `time` seconds of the output."""
        if self._output is None:
            raise RuntimeError("the writer is already closed")
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(f"expected a {self.width}x{self.height} image, got {image.shape[1]}x{image.shape[0]}")
        pts = round(Fraction(time) * self.fps)
        if self._last_pts is not None and pts <= self._last_pts:
            raise ValueError(f"frame time {time} s is not after the previous frame at {self.fps} fps")
        s = self.settings
        native = reusable_native(image, s, self.width, self.height)
        frame = native if native is not None else rgb_to_frame(image, s.pix_fmt, s.colorspace, s.color_range)
        assert self._worker is not None
        try:
            self._worker.submit(lambda: self._encode(frame, pts, reused=native is not None))
        except VideoError:
            raise
        except (av.error.FFmpegError, RuntimeError, ValueError) as exc:
            raise VideoError(f"cannot encode a frame of {self.target.name}: {exc}") from exc
        self._last_pts = pts

    def _encode(self, frame: av.VideoFrame, pts: int, reused: bool) -> None:
        """Encode and mux one frame, then the audio and subtitles up to its time (on the worker thread)."""
        assert self._output is not None
        if reused:
            frame.pict_type = av.video.frame.PictureType.NONE  # let the encoder choose, not the source's I/P/B
        frame.pts = pts  # set here, in order: the same decoded frame may be written at several times
        frame.time_base = 1 / self.fps
        for name, value in self._frame_tags.items():  # ProRes writes each frame's own
            setattr(frame, name, value)
        self._output.mux(self._stream.encode(frame))
        if self._carrier is not None:
            self._carrier.advance(pts / self.fps)

    def commit(self) -> None:
        """Finish the file and move it onto the target path (replacing an existing file)."""
        if self._output is None:
            raise RuntimeError("the writer is already closed")
        if self._last_pts is None:
            self.abort()
            raise VideoError(f"no frames to write to {self.target}")
        try:
            assert self._worker is not None
            self._worker.finish()
            self._output.mux(self._stream.encode(None))
            if self._carrier is not None:
                self._carrier.finish((self._last_pts + 1) / self.fps)
            self._output.close()
            self._output = None
            os.replace(self._temp, self.target)
        except VideoError:
            self.abort()
            raise
        except (av.error.FFmpegError, OSError, RuntimeError, ValueError) as exc:
            self.abort()
            raise VideoError(f"cannot finish writing {self.target}: {exc}") from exc
        except BaseException:
            self.abort()
            raise
        self._committed = True

    def abort(self) -> None:
        """Stop writing and delete the temporary file; the target is left untouched (also when the encoder thread
        is still finishing its frame)."""
        worker, self._worker = self._worker, None
        try:
            if worker is not None:
                worker.cancel()
        finally:
            if worker is None or not worker.running:  # never close what the thread may still be using
                self._close_streams()
            self._temp.unlink(missing_ok=True)

    def _close_streams(self) -> None:
        if self._carrier is not None:
            self._carrier.close()
            self._carrier = None
        if self._output is not None:
            with contextlib.suppress(av.error.FFmpegError, ValueError):
                self._output.close()
            self._output = None

    def close(self) -> None:
        """Abort unless `commit()` succeeded."""
        if not self._committed:
            self.abort()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _add_video(self, output: OutputContainer, source: VideoInfo | None) -> VideoStream:
        settings = self.settings
        stream = cast(
            VideoStream,
            output.add_stream(
                settings.codec,
                rate=self.fps,
                options=settings.options,
                time_base=1 / self.fps,
                width=self.width,
                height=self.height,
            ),
        )
        stream.pix_fmt = settings.pix_fmt
        stream.disposition = av.stream.Disposition.default  # the only video track (Matroska writes the flag as 0)
        for name in ("color_range", "colorspace", "color_primaries", "color_trc"):
            value = getattr(settings, name)
            if value is not None:
                setattr(stream.codec_context, name, value)
        if source is not None:
            if source.display_matrix is not None:
                stream.set_display_matrix(source.display_matrix)
            if source.sample_aspect_ratio is not None:
                stream.codec_context.sample_aspect_ratio = source.sample_aspect_ratio
            for key, value in source.metadata.items():
                if key.lower() not in _TECHNICAL_TAGS:
                    output.metadata[key] = self._carried_tag(key, value, source)
            for key, value in source.stream_metadata.items():
                if key.lower() in _VIDEO_STREAM_TAGS:
                    stream.metadata[key] = self._carried_tag(key, value, source)
        return stream

    def _carried_tag(self, key: str, value: str, source: VideoInfo) -> str:
        """`value`, or for a timecode the one of the output's first frame (at the output rate, before any lead)."""
        if key.lower() != "timecode":
            return value
        return retimed(value, source.fps, self.fps, self._lead) or value
