"""Model registry: named configs and `create_model`."""

from __future__ import annotations

from collections.abc import Callable

from tempo_cli.errors import TempoError
from tempo_cli.model.config import TempoConfig
from tempo_cli.model.tempo import Tempo

_REGISTRY: dict[str, Callable[[], TempoConfig]] = {}


def register(fn: Callable[[], TempoConfig]) -> Callable[[], TempoConfig]:
    """Add a config factory under the name of the config it returns."""
    _REGISTRY[fn().name] = fn
    return fn


@register
def tempo_s() -> TempoConfig:
    """The small config trained on CPU and shipped in weights/."""
    return TempoConfig(name="tempo-s")


@register
def tempo_s2() -> TempoConfig:
    """tempo-s grown by a refinement of every hypothesis at 1/2 scale (`level2_width`)."""
    return TempoConfig(name="tempo-s2", level2_width=32)


@register
def tempo_s_bicubic() -> TempoConfig:
    """tempo-s reading the anchors' pixels by bicubic sampling (run 36, docs/training.md session 31: sharper between
    frames, weaker ahead; not shipped)."""
    return TempoConfig(name="tempo-s-bicubic", image_sampling="bicubic")


@register
def tempo_s_mixed() -> TempoConfig:
    """tempo-s mixing bilinear and bicubic reads of the anchors by a share it learns per pixel (run 37,
    docs/training.md session 32)."""
    return TempoConfig(name="tempo-s-mixed", image_sampling="mixed")


@register
def tempo_s_mixed_per_interval() -> TempoConfig:
    """tempo-s-mixed whose attention levels see offsets per interval past the anchors (`offsets_per_interval`;
    docs/training.md session 34)."""
    return TempoConfig(name="tempo-s-mixed-per-interval", image_sampling="mixed", offsets_per_interval=True)


@register
def tempo_s_learned() -> TempoConfig:
    """tempo-s without the DIS motion prior (motion learned from scratch)."""
    return TempoConfig(name="tempo-s-learned", motion_prior=False)


@register
def tempo_m() -> TempoConfig:
    """tempo-s widened for several CPU sessions of training: wider 1/2 to 1/8 features and motion stack, 3.4M."""
    return TempoConfig(name="tempo-m", widths=(16, 32, 64, 128), depths=(0, 1, 2, 3), refine_width=128)


@register
def tempo_base() -> TempoConfig:
    """The seed's base: 64 base channels, 4+6+6+12 blocks, about 77M parameters."""
    return TempoConfig(
        name="tempo-base",
        widths=(64, 128, 256, 448),
        depths=(4, 6, 6, 12),
        time_dim=128,
        heads=4,
        points=4,
        refine_width=160,
        transformer_layers=2,
        transformer_heads=8,
        fft_blocks=2,
        corr_radius=4,
    )


def list_models() -> list[str]:
    """Registered config names."""
    return sorted(_REGISTRY)


def get_config(name: str) -> TempoConfig:
    """Config by name; an unknown name is a TempoError that lists the known ones."""
    if name not in _REGISTRY:
        raise TempoError(f"unknown model {name!r}; known: {', '.join(list_models())}")
    return _REGISTRY[name]()


def create_model(name: str | TempoConfig) -> Tempo:
    """Build an untrained TEMPO from a registered name or a config."""
    config = name if isinstance(name, TempoConfig) else get_config(name)
    return Tempo(config)
