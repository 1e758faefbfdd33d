"""Training checkpoints: model, EMA, optimizer, scheduler, step, best metric and config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from tempo_cli.errors import TempoError


class CheckpointError(TempoError):
    """A checkpoint that cannot be resumed."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path, model_config_json: str) -> dict[str, Any]:
    """Read a checkpoint without running pickled code, refusing one from another model config."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    if state.get("model_config") != model_config_json:
        raise CheckpointError(f"checkpoint {path} is for another model config: {state.get('model_config')}")
    return state
