"""Turn `--data` specs (`synthetic:0.5`, `PATH:0.5`) into weighted sources."""

from __future__ import annotations

from pathlib import Path

from tempo_cli.errors import TempoError
from tempo_cli.training.data.batches import Source
from tempo_cli.training.data.clips import CLIP_SHORT_SIDE, ClipFrames, find_sequences
from tempo_cli.training.data.folders import FrameFolders, vimeo_folders
from tempo_cli.training.data.sample import MAX_AHEAD
from tempo_cli.training.data.synthetic import MAX_SPEED, SyntheticSequences, list_images


class DataSpecError(TempoError):
    """A `--data` entry that cannot be used."""


def parse_spec(spec: str) -> tuple[str, float]:
    """'NAME[:WEIGHT]' -> (NAME, WEIGHT); weight defaults to 1."""
    name, sep, weight = spec.rpartition(":")
    if not sep or not weight.replace(".", "", 1).isdigit():
        return spec, 1.0
    return name, float(weight)


def build_source(
    name: str,
    crop: int,
    images: str,
    exclude: tuple[str, ...],
    short_side: int = CLIP_SHORT_SIDE,
    max_ahead: int = MAX_AHEAD,
    max_speed: float = MAX_SPEED,
) -> Source:
    """One source: `synthetic` (needs an images folder), a Vimeo list, sequence folders or videos.

    Videos are held in memory with their short side reduced to `short_side` pixels. Extrapolation targets of
    synthetic sequences and videos lie up to `max_ahead` anchor gaps past an end (Vimeo lists: the next frame).
    Synthetic layers move up to `max_speed` pixels per anchor interval.
    """
    if name == "synthetic":
        if not images:
            raise DataSpecError("synthetic data needs --images DIR (a folder of natural images)")
        found = list_images(Path(images))
        if not found:
            raise DataSpecError(f"no images found under {images}")
        return SyntheticSequences(found, crop, max_speed=max_speed, max_ahead=max_ahead)
    path = Path(name)
    if not path.exists():
        raise DataSpecError(f"data path not found: {path}")
    if path.is_dir():
        folders = vimeo_folders(path)
        if folders is not None:
            return FrameFolders(folders, crop)
    seqs = [p for p in find_sequences(path) if p.name not in exclude]
    if not seqs:
        raise DataSpecError(f"no videos or frame folders under {path}")
    try:
        return ClipFrames(seqs, crop, short_side=short_side, max_ahead=max_ahead)
    except ValueError as exc:
        raise DataSpecError(f"{path}: {exc}") from exc


def build_sources(
    specs: tuple[str, ...],
    crop: int,
    images: str,
    exclude: tuple[str, ...] = (),
    short_side: int = CLIP_SHORT_SIDE,
    max_ahead: int = MAX_AHEAD,
    max_speed: float = MAX_SPEED,
) -> list[tuple[Source, float]]:
    """All weighted sources of a run."""
    if max_ahead < 1:
        raise DataSpecError(f"extrapolation targets must lie at least 1 gap ahead, not {max_ahead}")
    if max_speed <= 0:
        raise DataSpecError(f"synthetic layers need a positive top speed, not {max_speed}")
    out = []
    for spec in specs:
        name, weight = parse_spec(spec)
        out.append((build_source(name, crop, images, exclude, short_side, max_ahead, max_speed), weight))
    return out
