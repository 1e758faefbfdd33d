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


def carry_extras(
    source: InputContainer, output: OutputContainer, output_time: Callable[[Fraction], Fraction], warn: Warn
) -> None:
    """Give `output` the chapters of `source` (their times through `output_time`, source seconds to output seconds)
    and its attachments, before its header is written. Other containers than Matroska drop attachments, with a
    warning."""
    chapters: list[Chapter] = []
    for chapter in source.chapters():
        scale = chapter["time_base"] or Fraction(1, av_time_base)
        start, end = (max(Fraction(0), output_time(chapter[key] * scale)) for key in ("start", "end"))
        if end > start:
            chapters.append({**chapter, "start": round(start / scale), "end": round(end / scale), "time_base": scale})
    if chapters:
        output.set_chapters(chapters)
    for attachment in (s for s in source.streams if isinstance(s, AttachmentStream)):
        name = attachment.name or "attachment"
        if output.format.name == "matroska":  # WebM and the others have no attachments (or drop them unsaid)
            output.add_attachment(name, attachment.mimetype or "application/octet-stream", attachment.data)
        else:
            warn(f"dropping the attachment {name}: only Matroska (.mkv) holds attachments")
