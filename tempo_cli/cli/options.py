"""Parsing of option values shared by several commands."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from tempo_cli.cli.errors import CliError
from tempo_cli.engine.duplicates import DEFAULT_MAX_RUN, DEFAULT_THRESHOLD, check_options
from tempo_cli.engine.planner import MAX_ADDED, MAX_ANCHORS
from tempo_cli.engine.tiling import SMALLEST_TILE
from tempo_cli.timing import parse_rate
from tempo_cli.video.paths import is_video_target


def parse_anchors(value: int, even: bool = False) -> int:
    """A number of anchors the model takes per call: 2 to MAX_ANCHORS, an even one (as many on each side of the
    target) with `even`."""
    if not 2 <= value <= MAX_ANCHORS:
        raise CliError(f"--anchors must be between 2 and {MAX_ANCHORS}, got {value}")
    if even and value % 2:
        raise CliError(f"--anchors must be even for interpolation (as many frames on each side), got {value}")
    return value


def parse_factor(text: str | None) -> int | None:
    """An integer factor of at least 2, or None."""
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise CliError(f"--factor must be a whole number of at least 2, got {text!r}") from None
    if value < 2:
        raise CliError(f"--factor must be a whole number of at least 2, got {value}")
    return value


def parse_optional_rate(text: str | None, option: str) -> Fraction | None:
    """A positive frame rate, or None."""
    if text is None:
        return None
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise CliError(f"{option}: {exc}") from None


def parse_tile(text: str | None) -> int | str | None:
    """'auto', a size in pixels (>= 64) or None."""
    if text is None:
        return None
    if text == "auto":
        return "auto"
    try:
        size = int(text)
    except ValueError:
        raise CliError(f"--tile must be a size in pixels or 'auto', got {text!r}") from None
    if size < SMALLEST_TILE:
        raise CliError(f"--tile must be at least {SMALLEST_TILE} pixels, got {size}")
    return size


def parse_dedup(dedup: bool, threshold: float | None) -> float | None:
    """The duplicate threshold of --dedup / --dedup-threshold (which implies --dedup), or None to keep every frame."""
    if threshold is None:
        return DEFAULT_THRESHOLD if dedup else None
    check_options(threshold, DEFAULT_MAX_RUN)
    return threshold


def parse_count(value: int, option: str) -> int:
    """A positive count."""
    if value < 1:
        raise CliError(f"{option} must be a positive whole number, got {value}")
    return value


def parse_added(value: int, option: str) -> int:
    """A count of frame intervals to predict before or after the clip (--ahead, --behind), up to MAX_ADDED."""
    count = parse_count(value, option)
    if count > MAX_ADDED:
        raise CliError(f"{option} {count} is above tempo's limit of {MAX_ADDED} frame intervals")
    return count


def default_output(src: Path, tag: str) -> Path:
    """Beside the input: clip.mp4 -> clip_x4.mp4; a folder -> folder_x4; a container tempo does not write
    (phone.3gp) -> phone_x4.mkv."""
    if src.is_dir():
        return src.with_name(f"{src.name}_{tag}")
    return src.with_name(f"{src.stem}_{tag}{src.suffix if is_video_target(src) else '.mkv'}")
