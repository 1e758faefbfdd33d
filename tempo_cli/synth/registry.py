"""Synthesizers by name: `blend`, `flow`, `tempo` (shipped weights) or a TEMPO config with weights."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch

from tempo_cli.errors import TempoError
from tempo_cli.model import create_model, list_models
from tempo_cli.model.weights import load_weights, model_from_weights
from tempo_cli.synth.base import Synthesizer
from tempo_cli.synth.blend import BlendSynthesizer
from tempo_cli.synth.flow import FlowSynthesizer
from tempo_cli.synth.neural import TempoSynthesizer

CLASSICAL = {"blend": BlendSynthesizer, "flow": FlowSynthesizer}
SHIPPED_WEIGHTS = "tempo-s.safetensors"
SYNTHESIZER_NAMES = ("tempo", *CLASSICAL, *list_models())


def shipped_weights() -> Path | None:
    """Path of the weights shipped with the package (or the checkout's weights/), if present."""
    try:
        path = Path(str(resources.files("tempo_cli.weights").joinpath(SHIPPED_WEIGHTS)))
    except ModuleNotFoundError:
        path = Path(__file__).resolve().parents[2] / "weights" / SHIPPED_WEIGHTS
    return path if path.is_file() else None


def create_synthesizer(
    name: str,
    weights: str | Path | None = None,
    device: torch.device | None = None,
    precision: torch.dtype | None = None,
    batch: int | None = None,
    scale: float | None = None,
) -> Synthesizer:
    """Build a synthesizer; `tempo` loads the shipped weights, a config name needs `weights`."""
    if name in CLASSICAL:
        if weights is not None:
            raise TempoError(f"{name} has no weights to load; weights apply to TEMPO models")
        return CLASSICAL[name]()
    device = device or torch.device("cpu")
    if name == "tempo" and weights is None:
        weights = shipped_weights()
        if weights is None:
            raise TempoError("no shipped TEMPO weights found; pass --weights or use --model flow")
    if name == "tempo":
        assert weights is not None
        model = model_from_weights(weights)
    elif name in list_models():
        if weights is None:
            raise TempoError(f"model {name} needs --weights (an untrained network makes no useful frames)")
        model = create_model(name)
        load_weights(model, weights)
    else:
        raise TempoError(f"unknown model {name!r}; choose from {', '.join(SYNTHESIZER_NAMES)}")
    return TempoSynthesizer(model, device, precision, batch, scale)
