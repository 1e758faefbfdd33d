"""Text subtitle cues rewritten from one codec's packets to another's (SubRip, ASS, MP4 timed text, WebVTT).

A container that cannot hold a source's text subtitles (SubRip or ASS in MP4, timed text in Matroska) gets them in
a text codec it holds. Only the words and line breaks are kept: styling, positions and karaoke are dropped.
"""

from __future__ import annotations

import re

# Text subtitle codecs, and the ones tried in turn for a container that holds none of the source's.
TEXT_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"})
TARGET_CODECS = ("subrip", "mov_text", "webvtt")
_ASS_FIELDS_BEFORE_TEXT = 8  # ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect (Matroska's ASS)
_ASS_OVERRIDES = re.compile(r"\{[^}]*\}")
_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>")


def cue_text(codec: str, payload: bytes) -> str:
    """The words of one cue of `codec`, lines joined by newlines."""
    if codec == "mov_text":
        length = int.from_bytes(payload[:2], "big")
        return payload[2 : 2 + length].decode("utf-8", "replace")
    text = payload.decode("utf-8", "replace")
    if codec in ("ass", "ssa"):
        text = text.split(",", _ASS_FIELDS_BEFORE_TEXT)[-1]
        text = _ASS_OVERRIDES.sub("", text).replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
    return text


def cue_payload(codec: str, text: str) -> bytes:
    """One cue of `codec` holding `text` (markup such as <i> is kept where the codec has it)."""
    if codec == "mov_text":
        data = _MARKUP.sub("", text).encode()
        return len(data).to_bytes(2, "big") + data
    return text.encode()
