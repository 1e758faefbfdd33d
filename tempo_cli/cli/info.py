"""`tempo info`: version, torch, device, models and weights."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

import tempo_cli
from tempo_cli.devices import describe, resolve_device
from tempo_cli.model import create_model, get_config, list_models
from tempo_cli.synth.registry import CLASSICAL, shipped_weights


def info_command(device: str = typer.Option("auto", help="Device to describe: auto, cpu or cuda[:N].")) -> None:
    """Print version, torch, device (CUDA or CPU, threads) and the available models and weights."""
    import torch

    from tempo_cli.cli.errors import run_guarded
    from tempo_cli.model.weights import WeightsError, read_config

    def run() -> None:
        console = Console()
        dev = resolve_device(device)
        console.print(f"tempo {tempo_cli.__version__}")
        console.print(f"torch {torch.__version__}, device: {describe(dev)}")
        table = Table("model", "kind", "parameters", "weights")
        weights = shipped_weights()
        try:
            shipped, default = (read_config(weights).name, None) if weights else (None, "no shipped weights found")
        except WeightsError as exc:  # info is where a user looks to see what is wrong: it says so, and goes on
            shipped, default = None, f"shipped weights unusable: {exc}"
        for name in list_models():
            params = sum(p.numel() for p in create_model(get_config(name)).parameters())
            table.add_row(name, "TEMPO", f"{params / 1e6:.2f} M", str(weights) if name == shipped else "-")
        for name in CLASSICAL:
            table.add_row(name, "classical", "0", "-")
        console.print(table)
        console.print(f"default model: tempo = {shipped or default}")

    run_guarded(run)
