"""A source file's chapters, attachments (fonts for its subtitles) and cover art, carried into a new video file."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

import av
from av import time_base as av_time_base
from av.container import InputContainer, OutputContainer
from av.stream import AttachmentStream
from av.video.stream import VideoStream

from tempo_cli.video.reader import Warn, is_cover_art

if TYPE_CHECKING:
    from av.container.core import Chapter  # in PyAV's type stubs only


# The muxers that write chapters (of FFmpeg's: AVI, MPEG-TS, Ogg, FLV, MPEG-PS and MXF drop them unsaid).
CHAPTER_FORMATS = frozenset({"matroska", "webm", "mp4", "mov", "ipod", "3gp"})


# The muxers that write a cover picture muxed as a packet (Matroska stores it as an attachment instead).
COVER_FORMATS = frozenset({"mp4", "ipod", "3gp"})
_IMAGE_TYPES = {"png": "image/png", "mjpeg": "image/jpeg"}


def carry_extras(
    source: InputContainer,
    output: OutputContainer,
    output_time: Callable[[Fraction], Fraction],
    source_end: Fraction | None,
    warn: Warn,
) -> list[av.Packet]:
    """Give `output` the chapters of `source` (their times through `output_time`, source seconds to output seconds,
    cut to the picture: from 0 to `source_end`'s output time), its attachments and its cover art, before its header
    is written. Returns the cover pictures to mux once it is. Containers that hold no chapters, attachments (all but
    Matroska) or cover art drop them with a warning."""
    _carry_chapters(source, output, output_time, source_end, warn)
    for attachment in (s for s in source.streams if isinstance(s, AttachmentStream)):
        _attach(output, attachment.name or "attachment", attachment.mimetype, attachment.data, warn)
    return [cover for stream in source.streams.video if (cover := _carry_cover(source, stream, output, warn))]


def _carry_chapters(
    source: InputContainer,
    output: OutputContainer,
    output_time: Callable[[Fraction], Fraction],
    source_end: Fraction | None,
    warn: Warn,
) -> None:
    end_of_picture = None if source_end is None else output_time(source_end)
    chapters: list[Chapter] = []
    for chapter in source.chapters():
        scale = chapter["time_base"] or Fraction(1, av_time_base)
        start, end = (max(Fraction(0), output_time(chapter[key] * scale)) for key in ("start", "end"))
        end = end if end_of_picture is None else min(end, end_of_picture)
        if end > start:
            chapters.append({**chapter, "start": round(start / scale), "end": round(end / scale), "time_base": scale})
    if chapters and output.format.name in CHAPTER_FORMATS:
        output.set_chapters(chapters)
    elif chapters:
        warn(f"dropping {len(chapters)} chapters: the {output.format.name} container cannot hold them")


def _attach(output: OutputContainer, name: str, mimetype: str | None, data: bytes, warn: Warn) -> None:
    if output.format.name == "matroska":  # WebM and the others have no attachments (or drop them unsaid)
        output.add_attachment(name, mimetype or "application/octet-stream", data)
    else:
        warn(f"dropping the attachment {name}: only Matroska (.mkv) holds attachments")


def _carry_cover(source: InputContainer, stream: VideoStream, output: OutputContainer, warn: Warn) -> av.Packet | None:
    """The packet of `stream` if it is cover art that `output` takes as a packet; Matroska gets it as an attachment,
    other containers drop it with a warning."""
    if not is_cover_art(stream):
        return None
    picture = next((p for p in source.demux(stream) if p.size), None)
    if picture is None:
        return None
    codec = stream.codec_context.name
    if output.format.name == "matroska":
        name = stream.metadata.get("filename") or f"cover.{'jpg' if codec == 'mjpeg' else codec}"
        _attach(output, name, stream.metadata.get("mimetype") or _IMAGE_TYPES.get(codec), bytes(picture), warn)
        return None
    if output.format.name not in COVER_FORMATS:
        warn(f"dropping the cover art: the {output.format.name} container cannot hold it")
        return None
    copy = output.add_stream_from_template(stream)
    copy.disposition = av.stream.Disposition.attached_pic
    picture.stream = copy
    return picture
