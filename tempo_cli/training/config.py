"""Training configuration: defaults, a JSON file, then command-line overrides."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tempo_cli.devices import MAX_THREADS
from tempo_cli.errors import TempoError
from tempo_cli.evaluation.metrics import SSIM_WINDOW
from tempo_cli.training.data.batches import LONG_CONTEXT_PROB
from tempo_cli.training.data.clips import CLIP_MAX_FRAMES, CLIP_SHORT_SIDE
from tempo_cli.training.data.sample import MAX_AHEAD
from tempo_cli.training.data.sources import SourceOptions
from tempo_cli.training.data.synthetic import MAX_SPEED
from tempo_cli.training.losses import LossWeights


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs."""

    model: str = "tempo-s"
    data: tuple[str, ...] = ()  # none by default: a run names its data
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
    clip_max_frames: int = CLIP_MAX_FRAMES  # training videos' first frames held (val_data: the default)
    extrapolate_prob: float = 0.25  # share of samples whose target lies outside the anchors
    extrapolate_max_ahead: int = MAX_AHEAD  # how many anchor gaps past an end those targets may lie
    synthetic_max_speed: float = MAX_SPEED  # px per anchor interval of synthetic layers (foreground 1.3x)
    synthetic_overlay_prob: float = 0.0  # share of synthetic sequences with a still caption over them
    synthetic_pan_prob: float = 0.0  # share of synthetic sequences that are one plane in pure translation
    long_context_prob: float = LONG_CONTEXT_PROB  # share of batches with 3 or 4 anchors instead of 2
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
    val_whole_kinds: tuple[str, ...] = ("2x", "4x")  # the sets scored there (2x, 4x, ahead1, ahead2, ahead4)
    workers: int = 1
    seed: int = 0
    threads: int = 0
    init: str = ""
    train_only: tuple[str, ...] = ()  # parameter-name prefixes to train, the rest frozen; empty: all
    resume: bool = False
    wandb: bool = False
    loss: LossWeights = field(default_factory=LossWeights)

    def source_options(self) -> SourceOptions:
        """How the training sources draw samples."""
        return SourceOptions(
            short_side=self.clip_short_side,
            max_frames=self.clip_max_frames,
            max_ahead=self.extrapolate_max_ahead,
            max_speed=self.synthetic_max_speed,
            overlay_prob=self.synthetic_overlay_prob,
            pan_prob=self.synthetic_pan_prob,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for checkpoints and logs."""
        return asdict(self)


def _number(value: Any) -> float:
    """A finite float from a number or text; ValueError for anything else (True, "abc", nan, inf)."""
    if isinstance(value, bool):
        raise ValueError(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _whole(value: Any) -> int:
    """An int from an int, a whole number or text such as "2000" or "2e3"; ValueError for anything else."""
    number = _number(value)
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def _flag(value: Any) -> bool:
    """A bool from a bool or from text such as yes/no, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ValueError(value)
    return text in {"1", "true", "yes", "on"}


def _text(value: Any) -> str:
    """`value` if it is a string; ValueError otherwise (no silent str(5))."""
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _words(value: Any) -> tuple[str, ...]:
    """A tuple of strings from a list of strings or from comma-separated text."""
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return tuple(_text(value).split(","))


# By the type of an option's default (bool before int, its subclass): the converter and what it expects.
_CONVERTERS: dict[type, tuple[Callable[[Any], Any], str]] = {
    bool: (_flag, "true or false"),
    int: (_whole, "a whole number"),
    float: (_number, "a finite number"),
    str: (_text, "text"),
    tuple: (_words, "a list of text"),
}


def _coerce(key: str, value: Any, current: Any) -> Any:
    """`value` as the type of the option's `current` value, or TempoError naming `key` and that type."""
    convert, expected = next((c for t, c in _CONVERTERS.items() if isinstance(current, t)), (_text, "text"))
    try:
        return convert(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer too long for a float
        raise TempoError(f"training option {key} must be {expected}, not {value!r}") from None


def _loss_changes(value: Any, known: dict[str, Any]) -> dict[str, Any]:
    """Loss weights from a {"census": 0.2, ...} object, or TempoError."""
    if not isinstance(value, dict):
        raise TempoError(f'loss must be an object of term weights, such as {{"census": 0.2}}, not {value!r}')
    changes = {}
    for sub, weight in value.items():
        if sub not in known:
            raise TempoError(f"unknown loss weight {sub!r}; known: {', '.join(known)}")
        changes[sub] = _coerce(f"loss.{sub}", weight, known[sub])
    return changes


def apply_overrides(config: TrainConfig, overrides: dict[str, Any]) -> TrainConfig:
    """Set fields by name; `loss.census=0.2` sets a loss weight. Unknown names and bad values are an error."""
    top: dict[str, Any] = {}
    loss_changes: dict[str, Any] = {}
    loss_names = {f.name: getattr(config.loss, f.name) for f in fields(LossWeights)}
    names = {f.name: getattr(config, f.name) for f in fields(TrainConfig) if f.name != "loss"}
    for key, value in overrides.items():
        if key.startswith("loss."):
            loss_changes.update(_loss_changes({key[5:]: value}, loss_names))
        elif key == "loss":
            loss_changes.update(_loss_changes(value, loss_names))
        elif key in names:
            top[key] = _coerce(key, value, names[key])
        else:
            raise TempoError(f"unknown training option {key!r}")
    return replace(config, loss=replace(config.loss, **loss_changes), **top)


# Bounds of the numeric options: (lowest, highest, whether the lowest itself is allowed). Unlisted ones are free.
_ABOVE_ZERO = (0.0, math.inf, False)
_AT_LEAST_ZERO = (0.0, math.inf, True)
_AT_LEAST_ONE = (1.0, math.inf, True)
_SHARE = (0.0, 1.0, True)
# Checked here; the sources check their own options (clip_max_frames, extrapolate_max_ahead, synthetic_max_speed).
_BOUNDS: dict[str, tuple[float, float, bool]] = {
    **dict.fromkeys(
        ("steps", "batch_size", "crop", "accumulate", "val_every", "ckpt_every", "log_every"), _AT_LEAST_ONE
    ),
    **dict.fromkeys(("val_samples", "clip_short_side"), _AT_LEAST_ONE),
    "val_whole_side": (float(SSIM_WINDOW), math.inf, True),  # whole frames are scored by SSIM too
    "seed": (0.0, float(2**32 - 1), True),  # what numpy's and torch's generators take
    **dict.fromkeys(("lr", "grad_clip"), _ABOVE_ZERO),
    **dict.fromkeys(("min_lr", "weight_decay", "motion_lr_scale"), _AT_LEAST_ZERO),
    **dict.fromkeys(("warmup", "workers", "val_crop", "val_whole_windows"), _AT_LEAST_ZERO),
    "threads": (0.0, float(MAX_THREADS), True),  # 0: torch's default
    **dict.fromkeys(("extrapolate_prob", "long_context_prob", "ema_decay"), _SHARE),
    "loss.scales": _AT_LEAST_ONE,  # a count of scales; the other loss fields are weights, at least 0
}


def check_ranges(config: TrainConfig) -> None:
    """TempoError naming the first option outside its range (`_BOUNDS`; loss weights at least 0)."""
    values = {name: getattr(config, name) for name in _BOUNDS if not name.startswith("loss.")}
    values |= {f"loss.{f.name}": getattr(config.loss, f.name) for f in fields(LossWeights)}
    for name, value in values.items():
        low, high, low_allowed = _BOUNDS.get(name, _AT_LEAST_ZERO)
        if value < low or (value == low and not low_allowed) or value > high:
            if high == math.inf:
                bound = f"at least {low:g}" if low_allowed else f"above {low:g}"
            else:
                bound = f"between {low:.15g} and {high:.15g}"
            raise TempoError(f"training option {name} must be {bound}, not {value:g}")


def stored_config(raw: dict[str, Any]) -> TrainConfig:
    """The config a run was saved with (`TrainConfig.to_dict`); options this version no longer has are left out."""
    known = {f.name for f in fields(TrainConfig)}
    return apply_overrides(TrainConfig(), {k: v for k, v in raw.items() if k in known})


def load_config(path: str | Path | None, overrides: dict[str, Any], base: TrainConfig | None = None) -> TrainConfig:
    """`base` (the defaults), then the JSON file (if any), then overrides; a loss without an image term, or an option
    outside its range, is refused."""
    config = base or TrainConfig()
    if path:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TempoError(f"cannot read training config {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise TempoError(f'training config {path} must be a JSON object of options, such as {{"steps": 1000}}')
        config = apply_overrides(config, raw)
    config = apply_overrides(config, overrides)
    check_ranges(config)
    image_terms = config.loss.image_terms()
    if not any(v > 0 for v in image_terms.values()):
        raise TempoError(f"the loss has no image term: give one of {', '.join(image_terms)} a weight above 0")
    return config
