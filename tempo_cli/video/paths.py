"""Output path rules: video vs image-folder targets, pre-flight checks and hidden temporary siblings."""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
from pathlib import Path

from tempo_cli.video.reader import VideoError

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".flv", ".mpg", ".mpeg", ".ogv"}
)


FRAME_FILE = re.compile(r"(frame|conf)_\d{6,}\.png")
# .xyz, .mp5, .gif, and .mp4_ or .mkv~ (a slip or an editor's backup); not the .v1_x2 or .2x of a folder name
FILE_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}[_~]?")


def is_video_target(target: str | Path) -> bool:
    """True if `target` names a video file; False if it names an image folder.

    A folder is a path ending with a separator, or a name without a suffix; a video file a name with a video
    suffix. Any other suffix is neither (see `validate_output_path`).
    """
    text = os.fspath(target)
    return not _ends_with_separator(text) and Path(text).suffix.lower() in VIDEO_SUFFIXES


def _ends_with_separator(text: str) -> bool:
    """A path string that ends with a separator names a folder (the library API may pass one)."""
    return text.endswith(("/", os.sep))


def validate_output_path(
    target: str | Path, input_path: Path | None, overwrite: bool, folder: bool | None = None
) -> None:
    """Raise VideoError unless `target` (a video file, or an image folder) can be written.

    `folder` None tells them apart by name (`is_video_target`). Refuses what `check_writable` refuses, a new
    name whose suffix looks like a file extension but not a video's (a typo such as .mp5 would otherwise
    become a folder), and an existing folder holding anything but files named like tempo's frames or maps
    (`--overwrite` would replace it).
    """
    text = os.fspath(target)
    target = Path(text)
    _check_name(target.name)
    if folder is None:
        folder = not is_video_target(text)
        named_like_a_file = not _ends_with_separator(text) and _file_suffix(target.suffix)
        if folder and named_like_a_file and not target.is_dir():
            raise VideoError(
                f"unknown output type {target.suffix!r}: name a video ({', '.join(sorted(VIDEO_SUFFIXES))}) "
                "or a folder for PNG frames (a name without a suffix, or an existing folder)"
            )
    check_writable(target, [] if input_path is None else [Path(input_path)], overwrite, folder)
    if folder and target.is_dir() and any(not (p.is_file() and FRAME_FILE.fullmatch(p.name)) for p in target.iterdir()):
        raise VideoError(f"output folder holds files other than tempo's frames; not replacing it: {target}")


def _file_suffix(suffix: str) -> bool:
    """Whether `suffix` is a file's rather than part of a folder's name: one shaped like an extension, or one a
    known file type has (.3gp)."""
    return bool(FILE_EXTENSION.fullmatch(suffix)) or mimetypes.guess_type(f"name{suffix}")[0] is not None


def _check_name(name: str) -> None:
    """Refuse an output name that is surely a slip: a trailing space or dot (pasted, or a suffix cut short), or a
    video suffix alone (.mp4, which would become a hidden folder)."""
    if name.endswith((" ", "\t", ".")) and name not in (".", ".."):
        raise VideoError(f"output name ends with a space or a dot: {name!r}")
    if name.lower() in VIDEO_SUFFIXES:
        raise VideoError(f"output name is a suffix alone: {name!r} (name the file, e.g. out{name})")


def check_writable(target: Path, inputs: list[Path], overwrite: bool, folder: bool = False) -> None:
    """Raise VideoError unless a file (or a `folder`) can be written at `target`.

    Refuses: one of the `inputs`, a file name that is an existing folder (and the reverse), a link, pipe or device
    (the output is renamed into place, so it would replace the link or the device node, not write into it), an
    existing output without `overwrite`, and a missing or read-only parent folder.
    """
    if any(same_path(target, path) for path in inputs):
        raise VideoError(f"output would overwrite the input: {target}")
    if target.is_symlink():
        raise VideoError(f"output is a link; name the file or folder it points to: {target}")
    if target.exists():
        if not folder and target.is_dir():
            raise VideoError(f"output is an existing folder, not a file: {target}")
        if folder and not target.is_dir():
            raise VideoError(f"output folder is an existing file: {target}")
        if not folder and not target.is_file():
            raise VideoError(f"output is a pipe or a device, not a file; not replacing it: {target}")
        if not overwrite:
            raise VideoError(f"output already exists: {target} (--overwrite replaces it)")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise VideoError(f"output folder does not exist: {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise VideoError(f"output folder is not writable: {parent}")


def temporary_sibling(target: Path) -> Path:
    """A fresh hidden path beside `target` with the same suffix (so a muxer still picks the format by suffix)."""
    return target.parent / f".{target.stem}.tempo-{secrets.token_hex(4)}.tmp{target.suffix}"


def same_path(a: Path, b: Path) -> bool:
    """True if `a` and `b` name the same file (through links too), or would once created."""
    if a.exists() and b.exists():
        return a.samefile(b)
    return a.resolve() == b.resolve()
