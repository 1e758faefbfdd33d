"""Safetensors weights with the config in the file's metadata; no pickled code is ever run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save

from tempo_cli.errors import TempoError
from tempo_cli.files import write_atomically
from tempo_cli.model.config import TempoConfig
from tempo_cli.model.tempo import Tempo

CONFIG_KEY = "tempo_config"
CHECKPOINT_SUFFIX = ".ckpt"  # `tempo train`'s resumable state, which is not a weights file
# How torch.save files begin, whatever their name: a zip archive, or a pickle (protocol 2 and up).
_TORCH_SAVE_MAGIC = (b"PK\x03\x04", b"\x80")


class WeightsError(TempoError):
    """A weights file that cannot be used: unreadable, no config, or a config mismatch."""


def save_weights(model: Tempo, path: str | Path, half: bool = False, extra: dict[str, str] | None = None) -> None:
    """Write the model's parameters (fp16 if `half`) and config to `path` atomically."""
    path = Path(path)
    dtype = torch.float16 if half else torch.float32
    tensors = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    metadata = {CONFIG_KEY: model.config.to_json(), **(extra or {})}
    # save() and a plain write, not save_file: an ordinary file's permissions (save_file's are owner-only).
    write_atomically(path, save(tensors, metadata=metadata))


def read_config(path: str | Path) -> TempoConfig:
    """The config stored in a weights file."""
    checkpoint = WeightsError(f"{path} is a training checkpoint, not weights: use last.safetensors or best.safetensors")
    if Path(path).suffix == CHECKPOINT_SUFFIX:
        raise checkpoint
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError) as exc:
        if _saved_by_torch(path):
            raise checkpoint from exc
        raise WeightsError(f"cannot read weights {path}: {exc}") from exc
    if CONFIG_KEY not in meta:
        raise WeightsError(f"{path} has no tempo config in its metadata")
    try:
        return TempoConfig.from_json(meta[CONFIG_KEY])
    except (ValueError, TypeError) as exc:
        raise WeightsError(f"{path} has an unreadable tempo config: {exc}") from exc


def _saved_by_torch(path: str | Path) -> bool:
    """Whether the file at `path` begins as torch.save's files do (a training checkpoint under another name)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head.startswith(_TORCH_SAVE_MAGIC)


def _differences(stored: TempoConfig, own: TempoConfig) -> str:
    """The fields in which two configs differ, as `name file-value != model-value`, at most three."""
    names = [f.name for f in dataclasses.fields(own) if getattr(stored, f.name) != getattr(own, f.name)]
    shown = [f"{n} {getattr(stored, n)} != {getattr(own, n)}" for n in names[:3]]
    return "; ".join(shown) + (f"; {len(names) - 3} more" if len(names) > 3 else "")


def load_weights(model: Tempo, path: str | Path, partial: bool = False) -> list[str]:
    """Load parameters into `model`, refusing a file made for another config.

    With `partial` (fine-tuning after the architecture grew, or into a grown config
    such as tempo-s2 from tempo-s), the configs may differ, parameters the file
    lacks keep their initialisation and parameters the model no longer has are
    ignored; the names of both are returned. Otherwise every name must match.
    Shared names must have the same shapes either way.
    """
    stored = read_config(path)
    if stored != model.config and not partial:
        raise WeightsError(
            f"{path} was trained for config {stored.name!r}, not {model.config.name!r} "
            f"({_differences(stored, model.config)})"
        )
    state = load_file(str(path))
    own = model.state_dict()
    for key in own.keys() & state.keys():
        if state[key].shape != own[key].shape:
            raise WeightsError(f"{path}: {key} has shape {tuple(state[key].shape)}, the model {tuple(own[key].shape)}")
    missing, unused = sorted(own.keys() - state.keys()), sorted(state.keys() - own.keys())
    if not own.keys() & state.keys():  # even `partial`: such a start is no start from these weights
        raise WeightsError(f"{path} shares no tensor with {model.config.name!r}")
    if (missing or unused) and not partial:
        raise WeightsError(
            f"{path} does not fit this version of {model.config.name!r}: "
            f"{len(missing)} tensors missing, {len(unused)} unknown (e.g. {(missing + unused)[0]}); "
            "fine-tune it with `tempo train --init` to carry it over"
        )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items() if k in own}, strict=not partial)
    return missing + unused


def model_from_weights(path: str | Path) -> Tempo:
    """Build the model the file's config describes and load it."""
    model = Tempo(read_config(path))
    load_weights(model, path)
    return model.eval()
