"""The TEMPO network and its registry."""

from tempo_cli.model.config import TempoConfig
from tempo_cli.model.registry import create_model, get_config, list_models
from tempo_cli.model.tempo import AnchorSet, Encoded, Tempo

__all__ = ["AnchorSet", "Encoded", "Tempo", "TempoConfig", "create_model", "get_config", "list_models"]
