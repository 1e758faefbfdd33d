"""Training configuration: defaults, a JSON file, then command-line overrides."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tempo_cli.errors import TempoError
from tempo_cli.training.data.clips import CLIP_SHORT_SIDE
from tempo_cli.training.losses import LossWeights


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs."""

    model: str = "tempo-s"
    data: tuple[str, ...] = ("synthetic:0.5",)
    val_data: tuple[str, ...] = ()
    images: str = ""
    exclude: tuple[str, ...] = ()
    out: str = "runs/tempo"
    steps: int = 10000
    batch_size: int = 8
    crop: int = 128
    clip_short_side: int = (
        CLIP_SHORT_SIDE  # training videos are held at this short side (val_data clips at the default)
    )
    extrapolate_prob: float = 0.25  # share of samples whose target lies outside the anchors
    lr: float = 3e-4
    motion_lr_scale: float = 0.1
    min_lr: float = 1e-5
    weight_decay: float = 1e-4
    warmup: int = 300
    grad_clip: float = 1.0
    accumulate: int = 1
    precision: str = "fp32"
    ema_decay: float = 0.999
    val_every: int = 500
    ckpt_every: int = 500
    log_every: int = 50
    val_samples: int = 64
    val_crop: int = 0  # validation crop size; 0 = `crop` (larger crops see what full frames do)
    val_whole_windows: int = 0  # > 0: also score val_data videos on whole frames, this many windows each
    val_whole_side: int = 360  # their short side for that (as `tempo eval --max-side`)
    workers: int = 1
    seed: int = 0
    threads: int = 0
    init: str = ""
    train_only: tuple[str, ...] = ()  # parameter-name prefixes to train, the rest frozen; empty: all
    resume: bool = False
    wandb: bool = False
    loss: LossWeights = field(default_factory=LossWeights)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for checkpoints and logs."""
        return asdict(self)


def _coerce(value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}
    if isinstance(current, tuple):
        return tuple(value) if isinstance(value, list | tuple) else tuple(str(value).split(","))
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    return value


def apply_overrides(config: TrainConfig, overrides: dict[str, Any]) -> TrainConfig:
    """Set fields by name; `loss.census=0.2` sets a loss weight. Unknown names are an error."""
    top: dict[str, Any] = {}
    loss_changes: dict[str, Any] = {}
    loss_names = {f.name: getattr(config.loss, f.name) for f in fields(LossWeights)}
    names = {f.name: getattr(config, f.name) for f in fields(TrainConfig)}
    for key, value in overrides.items():
        if key.startswith("loss."):
            sub = key[5:]
            if sub not in loss_names:
                raise TempoError(f"unknown loss weight {sub!r}; known: {', '.join(loss_names)}")
            loss_changes[sub] = _coerce(value, loss_names[sub])
        elif key == "loss" and isinstance(value, dict):
            for sub, v in value.items():
                if sub not in loss_names:
                    raise TempoError(f"unknown loss weight {sub!r}; known: {', '.join(loss_names)}")
                loss_changes[sub] = _coerce(v, loss_names[sub])
        elif key in names:
            top[key] = _coerce(value, names[key])
        else:
            raise TempoError(f"unknown training option {key!r}")
    return replace(config, loss=replace(config.loss, **loss_changes), **top)


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """Defaults, then the JSON file (if any), then overrides; a loss without an image term is refused."""
    config = TrainConfig()
    if path:
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise TempoError(f"cannot read training config {path}: {exc}") from exc
        config = apply_overrides(config, raw)
    config = apply_overrides(config, overrides)
    image_terms = config.loss.image_terms()
    if not any(v > 0 for v in image_terms.values()):
        raise TempoError(f"the loss has no image term: give one of {', '.join(image_terms)} a weight above 0")
    return config
