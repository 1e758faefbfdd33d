"""`tempo train`: fine-tune or train TEMPO on synthetic data, videos and frame folders."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from tempo_cli.cli.errors import CliError, interrupted, run_guarded


def _overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CliError(f"--set takes KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


NO_DATA = "no training data: give --data PATH (videos, frame folders, a Vimeo-90K root) or synthetic with --images DIR"


def _log_line(line: str) -> None:
    """A line of the training log on stderr, as it is."""
    from tempo_cli.cli.progress import console

    console.print(line, soft_wrap=True, highlight=False)


def _stop_outcome(out: Path) -> str:
    """What a stopped run leaves: a checkpoint that --resume goes on from, or nothing. Under torchrun only rank 0
    says: it is the one that saves."""
    if os.environ.get("RANK", "0") != "0":
        return "rank 0 says what was saved"
    checkpoint = out / "last.ckpt"
    if checkpoint.exists():
        return f"{checkpoint} holds the last step saved (--resume goes on from it)"
    return "nothing saved (no checkpoint to resume from)"


def train_command(
    data: list[str] = typer.Option(
        [],
        "--data",
        help="Source and weight, repeatable: synthetic:0.5 (with --images), a video, a folder of videos or of frame"
        " folders, a Vimeo-90K root.",
    ),
    images: str | None = typer.Option(None, help="Folder of natural images for the synthetic source."),
    val_data: list[str] = typer.Option(
        [], "--val-data", help="Held-out sources for validation (default: the training ones)."
    ),
    model: str | None = typer.Option(None, help="Registered TEMPO config to train (default tempo-s)."),
    init: Path | None = typer.Option(None, help="Start from these weights (.safetensors), e.g. the shipped ones."),
    out: Path | None = typer.Option(
        None,
        help="Run folder: checkpoints, weights, TensorBoard logs (default runs/tempo); new or empty unless --resume.",
    ),
    steps: int | None = typer.Option(None, help="Optimizer steps."),
    batch_size: int | None = typer.Option(None, help="Samples per step."),
    lr: float | None = typer.Option(None, help="Peak learning rate, reached after `warmup` steps."),
    precision: str | None = typer.Option(None, help="fp32, or bf16/fp16 autocast."),
    config: Path | None = typer.Option(None, help="JSON file of training options (see tempo_cli/training/config.py)."),
    set_: list[str] = typer.Option([], "--set", help="Override any option: --set loss.census=0.2 --set warmup=500."),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue from OUT/last.ckpt with the run's own options; options given here change them.",
    ),
    wandb: bool = typer.Option(False, "--wandb", help="Also log to Weights & Biases (if installed)."),
    threads: int | None = typer.Option(None, help="CPU threads."),
) -> None:
    """Train TEMPO. Several processes: `torchrun --nproc_per_node 2 -m tempo_cli train ...`."""

    def run() -> None:
        from tempo_cli.training.checkpoint import stored_train_config
        from tempo_cli.training.config import load_config, stored_config
        from tempo_cli.training.loop import train

        overrides: dict[str, object] = dict(_overrides(set_))
        named = {
            "data": tuple(data) or None,
            "val_data": tuple(val_data) or None,
            "images": images or None,  # "" is no folder (as a Path it would be the working one)
            "model": model,
            "init": str(init) if init else None,
            "out": str(out) if out else None,
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "precision": precision,
            "resume": resume or None,
            "wandb": wandb or None,
            "threads": threads,
        }
        overrides.update({k: v for k, v in named.items() if v is not None})
        cfg = load_config(config, overrides)
        if cfg.resume:  # the run's own options, then what this command line changes
            stored = stored_config(stored_train_config(Path(cfg.out) / "last.ckpt"))
            cfg = load_config(config, overrides, base=stored)
        if not cfg.data:
            raise CliError(NO_DATA)
        from tempo_cli.cli.progress import console, progress_bar, warn

        try:
            with progress_bar(not console.is_terminal, "training", "steps/s") as progress:
                train(cfg, echo=_log_line, progress=progress, warn=warn)
        except KeyboardInterrupt as exc:
            interrupted(exc, _stop_outcome(Path(cfg.out)))

    run_guarded(run)
