"""Text subtitle cues rewritten from one codec's packets to another's (SubRip, ASS, MP4 timed text, WebVTT).

A container that cannot hold a source's text subtitles (SubRip or ASS in MP4, timed text in Matroska) gets them in
a text codec it holds. Only the words and line breaks are kept: styling, positions, drawings and karaoke are
dropped.
"""

from __future__ import annotations

import html
import re

# Text subtitle codecs, and the ones tried in turn for a container that holds none of the source's.
TEXT_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"})
TARGET_CODECS = ("subrip", "mov_text", "webvtt")
# The style MP4 timed text is written with (FFmpeg's mov_text encoder takes its sample description from it).
DEFAULT_ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    b"Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    b"MarginR, MarginV, Encoding\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)
_ASS_FIELDS_BEFORE_TEXT = 8  # ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect (Matroska's ASS)
_ASS_DRAWING = re.compile(r"\{[^}]*\\p[1-9][^}]*\}.*?(?=\{[^}]*\\p0[^}]*\}|$)", re.DOTALL)
_ASS_OVERRIDES = re.compile(r"\{[^}]*\}")
_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>")


def cue_text(codec: str, payload: bytes) -> str:
    """The words of one cue of `codec` as plain text, lines joined by newlines."""
    if codec == "mov_text":
        length = int.from_bytes(payload[:2], "big")
        return payload[2 : 2 + length].decode("utf-8", "replace")
    text = payload.decode("utf-8", "replace")
    if codec in ("ass", "ssa"):
        text = _ASS_DRAWING.sub("", text.split(",", _ASS_FIELDS_BEFORE_TEXT)[-1])
        return _ASS_OVERRIDES.sub("", text).replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
    text = _MARKUP.sub("", text)
    return html.unescape(text) if codec == "webvtt" else text


def cue_payload(codec: str, text: str) -> bytes:
    """One cue of `codec` holding the plain `text`."""
    if codec == "mov_text":
        data = text.encode()
        return len(data).to_bytes(2, "big") + data
    if codec == "webvtt":
        return html.escape(text, quote=False).encode()
    return text.encode()
