"""Training checkpoints: model, EMA, optimizer, scheduler, step, best metric and config."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import torch

from tempo_cli.errors import TempoError
from tempo_cli.files import write_atomically
from tempo_cli.model.config import TempoConfig


class CheckpointError(TempoError):
    """A checkpoint that cannot be resumed."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically (temporary file, then rename). The state is serialised in memory first: torch.save
    writing to a file reports a full disk as an unexplained RuntimeError and leaves the partial file."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomically(path, buffer.getbuffer())


def _read(path: Path) -> dict[str, Any]:
    """A checkpoint's contents, read without running pickled code."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:  # the file system's own words
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from exc
    except Exception as exc:  # a damaged file fails in the zip reader, the unpickler or torch, each its own way
        kind = type(exc).__name__
        raise CheckpointError(f"cannot read checkpoint {path}: damaged, or not a tempo checkpoint ({kind})") from exc
    if not isinstance(state, dict):
        raise CheckpointError(f"cannot read checkpoint {path}: not a tempo checkpoint")
    return state


def train_config_of(state: dict[str, Any], path: Path) -> dict[str, Any]:
    """The training options a checkpoint's `state` (read from `path`) was written with."""
    if "train_config" not in state:
        raise CheckpointError(f"checkpoint {path} holds no training options to resume with")
    try:
        options = json.loads(state["train_config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} holds unreadable training options: {exc}") from exc
    if not isinstance(options, dict):
        raise CheckpointError(f"checkpoint {path} holds unreadable training options: not an object")
    return options


def stored_train_config(path: Path) -> dict[str, Any]:
    """The training options a checkpoint was written with (what `--resume` starts from)."""
    return train_config_of(_read(path), path)


def _as_read(model_config: str) -> str:
    """A model config (`TempoConfig.to_json`) as this version reads it: settings added since it was written (such as
    `keep_still`) take their defaults, so a run started before them resumes."""
    try:
        return TempoConfig.from_json(model_config).to_json()
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"a checkpoint holds a model config this version cannot read: {exc}") from exc


def _model_difference(then: str, now: str) -> str:
    """How the model a checkpoint holds (`then`, `TempoConfig.to_json`) differs from `now`: its name, or the
    settings that differ."""
    before, after = json.loads(then), json.loads(now)
    if before.get("name") != after.get("name"):
        return f"is for model {before.get('name')}, not {after.get('name')}"
    settings = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return f"is for another config of {after.get('name')} (differing in {', '.join(settings)})"


def load_checkpoint(path: Path, model_config_json: str) -> dict[str, Any]:
    """Read a checkpoint, refusing one from another model config."""
    state = _read(path)
    saved = state.get("model_config")
    if not isinstance(saved, str):
        raise CheckpointError(f"checkpoint {path} holds no model config")
    then, now = _as_read(saved), _as_read(model_config_json)
    if then != now:
        raise CheckpointError(f"checkpoint {path} {_model_difference(then, now)}")
    return state
