"""A source file's chapters and attachments (fonts for its subtitles), carried into a new video file."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

from av import time_base as av_time_base
from av.container import InputContainer, OutputContainer
from av.stream import AttachmentStream

from tempo_cli.video.reader import Warn

if TYPE_CHECKING:
    from av.container.core import Chapter  # in PyAV's type stubs only


# The muxers that write chapters (of FFmpeg's: AVI, MPEG-TS, Ogg, FLV, MPEG-PS and MXF drop them unsaid).
CHAPTER_FORMATS = frozenset({"matroska", "webm", "mp4", "mov", "ipod", "3gp"})


def carry_extras(
    source: InputContainer,
    output: OutputContainer,
    output_time: Callable[[Fraction], Fraction],
    source_end: Fraction | None,
    warn: Warn,
) -> None:
    """Give `output` the chapters of `source` (their times through `output_time`, source seconds to output seconds,
    cut to the picture: from 0 to `source_end`'s output time) and its attachments, before its header is written.
    Containers that hold no chapters, or no attachments (all but Matroska), drop them with a warning."""
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
    for attachment in (s for s in source.streams if isinstance(s, AttachmentStream)):
        name = attachment.name or "attachment"
        if output.format.name == "matroska":  # WebM and the others have no attachments (or drop them unsaid)
            output.add_attachment(name, attachment.mimetype or "application/octet-stream", attachment.data)
        else:
            warn(f"dropping the attachment {name}: only Matroska (.mkv) holds attachments")
