"""Frame-rate parsing and the output rate of a run."""

from __future__ import annotations

from fractions import Fraction

from tempo_cli.errors import TempoError, is_whole

NTSC = Fraction(1000, 1001)
MAX_RATE = Fraction(10_000)  # frames per second; FFmpeg's rates and time bases must fit 32-bit integers
MAX_DENOMINATOR = 1001  # 30000/1001 is exact; a decimal rate given to more digits than that is rounded to it
MAX_INT32 = 2**31 - 1


class RateError(TempoError):
    """An unusable --factor or --fps."""


def parse_rate(text: str) -> Fraction:
    """'60', '59.94', '60000/1001' -> exact rate.

    Decimals within 0.01% of N*1000/1001 snap to it (29.97 -> 30000/1001); other decimals are rounded to the
    nearest rate with a denominator up to 1001 (more digits than that are noise); fractions stay exact.
    """
    try:
        rate = Fraction(text.strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise RateError(f"not a frame rate: {text!r} (use e.g. 60, 59.94 or 60000/1001)") from exc
    if rate <= 0:
        raise RateError(f"frame rate must be positive, got {text}")
    if rate > MAX_RATE:
        raise RateError(f"frame rate {text} is above tempo's limit of {MAX_RATE} fps")
    if "/" not in text and rate.denominator != 1:
        ntsc = round(rate / NTSC) * NTSC
        rate = ntsc if abs(ntsc - rate) < rate / 10_000 else rate.limit_denominator(MAX_DENOMINATOR)
    if rate == 0 or rate.numerator > MAX_INT32 or rate.denominator > MAX_INT32:
        raise RateError(f"frame rate {text} is too small or too finely divided; use a fraction such as 1/3600")
    return rate


def output_rate(input_fps: Fraction, factor: int | None, fps: Fraction | None) -> Fraction:
    """The output rate from exactly one of --factor and --fps."""
    if (factor is None) == (fps is None):
        raise RateError("give exactly one of --factor and --fps")
    if factor is not None:
        if not is_whole(factor) or factor < 2:
            raise RateError(f"--factor must be an integer of at least 2, got {factor!r}")
        rate = input_fps * int(factor)
    else:
        assert fps is not None
        if fps < input_fps:
            raise RateError(f"--fps {float(fps):g} is below the input's {float(input_fps):g} fps")
        rate = fps
    if rate > MAX_RATE:
        raise RateError(f"the output would run at {float(rate):g} fps, above tempo's limit of {MAX_RATE} fps")
    return rate
