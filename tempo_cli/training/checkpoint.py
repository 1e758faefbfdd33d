"""Training checkpoints: model, EMA, optimizer, scheduler, step, best metric and config."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import torch

from tempo_cli.errors import TempoError
from tempo_cli.files import write_atomically


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
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    return state


def stored_train_config(path: Path) -> dict[str, Any]:
    """The training options a checkpoint was written with (what `--resume` starts from)."""
    state = _read(path)
    if "train_config" not in state:
        raise CheckpointError(f"checkpoint {path} holds no training options to resume with")
    return dict(json.loads(state["train_config"]))


def load_checkpoint(path: Path, model_config_json: str) -> dict[str, Any]:
    """Read a checkpoint, refusing one from another model config."""
    state = _read(path)
    if state.get("model_config") != model_config_json:
        raise CheckpointError(f"checkpoint {path} is for another model config: {state.get('model_config')}")
    return state
