"""SMPTE timecodes (HH:MM:SS:FF, drop-frame HH:MM:SS;FF) carried to an output at another frame rate."""

from __future__ import annotations

import math
import re
from fractions import Fraction

_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def retimed(timecode: str, source_fps: Fraction, output_fps: Fraction, lead: Fraction = Fraction(0)) -> str | None:
    """The timecode of an output's first frame at `output_fps`, where the source's first frame is at `timecode`
    (counted at `source_fps`) and the output starts `lead` seconds before it; None if `timecode` is not one.

    A timecode counts frames at the whole rate (30 for 30000/1001); drop-frame counting (`;` or `.` before the frames)
    is kept where the output rate allows it (a multiple of 30000/1001), else the label's hours, minutes, seconds
    and share of a second are kept.
    """
    match = _TIMECODE.match(timecode.strip())
    if match is None:
        return None
    hours, minutes, seconds, separator, frames = match.groups()
    source_base, output_base = _frame_base(source_fps), _frame_base(output_fps)
    drop = separator != ":"  # as FFmpeg reads it: any other separator marks drop-frame
    if int(frames) >= source_base or int(minutes) >= 60 or int(seconds) >= 60:
        return None
    output_drop = drop and _drops(output_fps)
    count = _count(int(hours), int(minutes), int(seconds), int(frames), source_base, output_drop)
    output_count = round(count * Fraction(output_base, source_base) - lead * output_fps)
    return _label(output_count % (_day_frames(output_base, output_drop)), output_base, output_drop)


def _frame_base(fps: Fraction) -> int:
    """The whole number of frames a timecode second counts: fps rounded half up (13 at 12.5 fps), as FFmpeg does."""
    return max(1, math.floor(fps + Fraction(1, 2)))


def _drops(fps: Fraction) -> bool:
    """Whether drop-frame counting applies at `fps` (NTSC rates: 30000/1001 and its multiples)."""
    return fps.denominator == 1001 and fps.numerator % 30000 == 0


def _dropped_per_minute(base: int) -> int:
    return base // 15  # 2 labels skipped a minute at 30, 4 at 60


def _count(hours: int, minutes: int, seconds: int, frames: int, base: int, drop: bool) -> int:
    """Frames from 00:00:00:00 to this label."""
    count = ((hours * 60 + minutes) * 60 + seconds) * base + frames
    if drop:
        total_minutes = hours * 60 + minutes
        count -= _dropped_per_minute(base) * (total_minutes - total_minutes // 10)
    return count


def _day_frames(base: int, drop: bool) -> int:
    return _count(24, 0, 0, 0, base, drop)


def _label(count: int, base: int, drop: bool) -> str:
    """The timecode label of frame `count`."""
    if drop:
        skipped = _dropped_per_minute(base)
        per_ten_minutes, per_minute = base * 600 - 9 * skipped, base * 60 - skipped
        tens, rest = divmod(count, per_ten_minutes)
        count += 9 * skipped * tens + (skipped * ((rest - skipped) // per_minute) if rest > skipped else 0)
    seconds, frames = divmod(count, base)
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{';' if drop else ':'}{frames:02d}"
