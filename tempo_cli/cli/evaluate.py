"""`tempo eval`: PSNR and SSIM of a model on benchmark layouts or videos with frames dropped."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tempo_cli.cli.common import Scale
from tempo_cli.cli.errors import CliError, run_guarded

TASKS = ("interpolate", "extrapolate")


def eval_command(
    paths: list[Path] = typer.Argument(
        ..., help="Middlebury, UCF101, DAVIS or Vimeo layouts, a video file or a folder of videos."
    ),
    model: str = typer.Option("tempo", help="tempo (shipped weights), flow, blend, or a TEMPO config name."),
    weights: Path | None = typer.Option(None, help="TEMPO weights (.safetensors)."),
    task: str = typer.Option("interpolate", help="interpolate (middle frame) or extrapolate (next frame)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the results as JSON here."),
    limit: int | None = typer.Option(None, help="At most this many items per path."),
    max_windows: int = typer.Option(30, help="Windows scored per video and set."),
    max_side: int | None = typer.Option(None, help="Downscale frames so their short side is at most this."),
    device: str = typer.Option("auto", help="auto, cpu, cuda or cuda:N."),
    precision: str = typer.Option("auto", help="auto (as for interpolate), fp32, fp16 or bf16."),
    threads: int | None = typer.Option(None, help="CPU threads."),
    scale: Scale = "auto",
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the table."),
) -> None:
    """Score a model: PSNR and SSIM (RGB in [0,1], whole frame) per set."""

    def run() -> None:
        from rich.console import Console

        from tempo_cli.api import load_model
        from tempo_cli.devices import set_threads
        from tempo_cli.evaluation.perceptual import load_lpips
        from tempo_cli.evaluation.runner import evaluate_many, results_table

        if task not in TASKS:
            raise CliError(f"--task must be one of {', '.join(TASKS)}, got {task!r}")
        for path in paths:
            if not path.exists():
                raise CliError(f"not found: {path}")
        set_threads(threads)
        synth = load_model(model, weights, device, precision, scale=scale)
        console = Console(stderr=quiet)
        perceptual = load_lpips((lambda _line: None) if quiet else lambda line: console.print(line, soft_wrap=True))
        result = evaluate_many(
            paths, synth, task, limit, max_windows=max_windows, max_side=max_side, perceptual=perceptual
        )
        result["model"] = model if weights is None else f"{model} ({weights})"
        Console().print(results_table(result))
        if json_out is not None:
            json_out.write_text(json.dumps(result, indent=2))
            if not quiet:
                console.print(f"wrote {json_out}")

    run_guarded(run)
