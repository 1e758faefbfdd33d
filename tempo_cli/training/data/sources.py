"""Turn `--data` specs (`synthetic:0.5`, `PATH:0.5`) into weighted sources."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2

from tempo_cli.errors import TempoError
from tempo_cli.training.data.batches import Source
from tempo_cli.training.data.clips import (
    CLIP_MAX_FRAMES,
    CLIP_SHORT_SIDE,
    MIN_CLIP_FRAMES,
    ClipFrames,
    find_sequences,
)
from tempo_cli.training.data.folders import FrameFolders, vimeo_folders
from tempo_cli.training.data.sample import MAX_AHEAD
from tempo_cli.training.data.synthetic import MAX_SPEED, SyntheticSequences, list_images
from tempo_cli.video.reader import Warn


class DataSpecError(TempoError):
    """A `--data` entry that cannot be used."""


def parse_spec(spec: str) -> tuple[str, float]:
    """'NAME[:WEIGHT]' -> (NAME, WEIGHT); weight defaults to 1 and must be a positive number. A colon that begins
    no weight (one in a path) is part of NAME."""
    name, sep, weight = spec.rpartition(":")
    weighted = bool(sep) and _meant_as_weight(spec, name, weight)
    if not (name if weighted else spec).strip():  # an empty entry ("a,,b" or ":1") would be the working folder
        raise DataSpecError(f"a data entry names no source: {spec!r} (NAME[:WEIGHT], such as clips/:0.7)")
    if not weighted:
        return spec, 1.0
    try:
        value = float(weight)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise DataSpecError(f"the weight of {spec} is not a positive number (NAME:WEIGHT, such as synthetic:0.5)")
    return name, value


def _meant_as_weight(spec: str, name: str, weight: str) -> bool:
    """Whether the text after a spec's last colon is its weight: a number, or anything after `synthetic` or after
    an existing path (unless the whole spec is a path)."""
    if Path(spec).exists():
        return False
    try:
        float(weight)
    except ValueError:
        return name == "synthetic" or Path(name).exists()
    return True


@dataclass(frozen=True)
class SourceOptions:
    """How sources draw samples: clips' short side (px) and how many of their first frames are held, how many
    anchor gaps past an end extrapolation targets may lie, the top speed of synthetic layers, and the shares of
    synthetic sequences with a still overlay and of pure pans."""

    short_side: int = CLIP_SHORT_SIDE
    max_frames: int = CLIP_MAX_FRAMES
    max_ahead: int = MAX_AHEAD
    max_speed: float = MAX_SPEED
    overlay_prob: float = 0.0
    pan_prob: float = 0.0


def build_source(
    name: str,
    crop: int,
    images: str,
    exclude: tuple[str, ...],
    options: SourceOptions = SourceOptions(),
    warn: Warn | None = None,
) -> Source:
    """One source: `synthetic` (needs an images folder), a Vimeo list, sequence folders or videos.

    Videos are held in memory, their first `options.max_frames` frames with the short side reduced to
    `options.short_side` pixels; `warn` hears of each one left out (unreadable, too short). Extrapolation targets of
    synthetic sequences and videos lie up to `options.max_ahead` anchor gaps past an end (Vimeo lists: the next
    frame).
    """
    if name == "synthetic":
        if not images:
            raise DataSpecError("synthetic data needs --images DIR (a folder of natural images)")
        every = list_images(Path(images))
        found = [image for image in every if cv2.haveImageReader(str(image))]  # its signature, not a decode
        if not found:
            raise DataSpecError(f"no images found under {images}")
        if warn is not None and len(found) < len(every):
            unread = sorted(set(every) - set(found))
            warn(f"left out {len(unread)} file(s) under {images} that are not images OpenCV reads, e.g. {unread[0]}")
        return SyntheticSequences(
            found, crop, options.max_speed, options.max_ahead, options.overlay_prob, options.pan_prob
        )
    path = Path(name)
    if not path.exists():
        raise DataSpecError(f"data path not found: {path}")
    if path.is_dir():
        listed = vimeo_folders(path)
        if listed is not None:
            folders, frames = listed
            return FrameFolders(folders, crop, frames)
    seqs = [p for p in find_sequences(path) if p.name not in exclude]
    if not seqs:
        raise DataSpecError(f"no videos or frame folders under {path}")
    try:
        return ClipFrames(
            seqs,
            crop,
            short_side=options.short_side,
            max_frames=options.max_frames,
            max_ahead=options.max_ahead,
            warn=warn,
        )
    except ValueError as exc:
        raise DataSpecError(f"{path}: {exc}") from exc


def build_sources(
    specs: tuple[str, ...],
    crop: int,
    images: str,
    exclude: tuple[str, ...] = (),
    options: SourceOptions = SourceOptions(),
    warn: Warn | None = None,
) -> list[tuple[Source, float]]:
    """All weighted sources of a run; `warn` hears of each sequence left out."""
    if options.max_ahead < 1:
        raise DataSpecError(f"extrapolation targets must lie at least 1 gap ahead, not {options.max_ahead}")
    if options.max_speed <= 0:
        raise DataSpecError(f"synthetic layers need a positive top speed, not {options.max_speed}")
    for name, share in (("overlay", options.overlay_prob), ("pan", options.pan_prob)):
        if not 0 <= share <= 1:
            raise DataSpecError(f"the synthetic {name} share must lie in [0, 1], not {share}")
    if options.max_frames < MIN_CLIP_FRAMES:
        raise DataSpecError(f"clips need at least {MIN_CLIP_FRAMES} frames held, not {options.max_frames}")
    return [
        (build_source(name, crop, images, exclude, options, warn), weight) for name, weight in map(parse_spec, specs)
    ]
