"""Output path rules: video vs image-folder targets, pre-flight checks and hidden temporary siblings."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tempo_cli.video.reader import VideoError

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".flv", ".mpg", ".mpeg", ".ogv"}
)


def is_video_target(target: str | Path) -> bool:
    """True if `target` names a video file; False if it names an image folder.

    A folder is a path ending with a separator, an existing directory, or a name without a video suffix.
    """
    text = os.fspath(target)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return False
    return Path(text).suffix.lower() in VIDEO_SUFFIXES


def validate_output_path(target: Path, input_path: Path | None, overwrite: bool) -> None:
    """Raise VideoError unless `target` (a video file or an image folder) can be written.

    Refuses: the input itself, an existing output without `overwrite`, a video file name that is an existing
    directory, and a missing or read-only output folder.
    """
    target = Path(target)
    if input_path is not None and _same_path(target, Path(input_path)):
        raise VideoError(f"output would overwrite the input: {target}")
    if target.exists():
        if is_video_target(target) and target.is_dir():
            raise VideoError(f"output is an existing directory, not a video file: {target}")
        if not overwrite:
            raise VideoError(f"output already exists: {target} (allow overwriting to replace it)")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise VideoError(f"output folder does not exist: {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise VideoError(f"output folder is not writable: {parent}")


def temporary_sibling(target: Path) -> Path:
    """A fresh hidden path beside `target` with the same suffix (so a muxer still picks the format by suffix)."""
    return target.parent / f".{target.stem}.tempo-{secrets.token_hex(4)}.tmp{target.suffix}"


def _same_path(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return a.samefile(b)
    return a.resolve() == b.resolve()
