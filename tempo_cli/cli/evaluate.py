"""`tempo eval`: PSNR and SSIM of a model on benchmark layouts or videos with frames dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from tempo_cli.cli.common import Overwrite, Scale
from tempo_cli.cli.errors import CliError, run_guarded
from tempo_cli.cli.options import parse_anchors, parse_count

TASKS = ("interpolate", "extrapolate")


def eval_command(
    paths: list[Path] = typer.Argument(
        ..., help="Middlebury, UCF101, DAVIS or Vimeo layouts, a video file, a folder of videos or a folder of frames."
    ),
    model: str = typer.Option("tempo", help="tempo (shipped weights), flow, blend, or a TEMPO config name."),
    weights: Path | None = typer.Option(None, help="TEMPO weights (.safetensors)."),
    task: str = typer.Option("interpolate", help="interpolate (middle frame) or extrapolate (next frame)."),
    json_out: Path | None = typer.Option(
        None,
        "--json",
        help="Also write the results as JSON here (per set also psnr_capped: each frame capped at 50 dB first, so that "
        "exact copies do not outweigh the rest), with the model and the settings they were scored with.",
    ),
    overwrite: Overwrite = False,
    limit: int | None = typer.Option(
        None,
        help="At most this many items per path: triplets, or video windows in the order the video is read (a small "
        "limit scores a folder's first video and its first sets only).",
    ),
    max_windows: int = typer.Option(30, help="Windows scored per video and set."),
    max_side: int | None = typer.Option(None, help="Downscale frames so their short side is at most this."),
    anchors: int = typer.Option(
        2,
        help="Frames per video window: for extrapolation the last ones before the target, for interpolation as "
        "many on each side (even). Videos only.",
    ),
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
        from tempo_cli.devices import precision_name, set_threads
        from tempo_cli.evaluation.perceptual import load_lpips
        from tempo_cli.evaluation.runner import evaluate_many, results_table
        from tempo_cli.files import write_atomically
        from tempo_cli.video.paths import check_writable

        _check_options(task, limit, max_windows, max_side)
        _check_inputs(paths, task, anchors)
        if json_out is not None:
            check_writable(json_out, paths, overwrite)  # an input, a folder, an existing file without --overwrite
        set_threads(threads)
        synth = load_model(model, weights, device, precision, scale=scale)
        console = Console(stderr=quiet)
        perceptual = load_lpips((lambda _line: None) if quiet else lambda line: console.print(line, soft_wrap=True))
        result = evaluate_many(
            paths,
            synth,
            task,
            limit,
            max_windows=max_windows,
            max_side=max_side,
            perceptual=perceptual,
            anchors=anchors,
        )
        if not result["sets"]:
            raise CliError(_nothing_scored(paths, task, anchors))
        result["model"] = model if weights is None else f"{model} ({weights})"
        result["settings"] = {
            "paths": [str(p) for p in paths], "limit": limit, "max_windows": max_windows, "max_side": max_side,
            "anchors": anchors, "scale": scale, "device": str(getattr(synth, "device", "cpu")),
            "precision": precision_name(getattr(synth, "precision", None)),  # blend and flow: NumPy/OpenCV, CPU
        }  # fmt: skip
        Console().print(results_table(result))
        for note in _missing_sets(paths, result, task, anchors):
            console.print(note)
        if json_out is not None:
            write_atomically(json_out, (json.dumps(result, indent=2) + "\n").encode())
            if not quiet:
                console.print(f"wrote {json_out}")

    run_guarded(run)


def _check_options(task: str, limit: int | None, max_windows: int, max_side: int | None) -> None:
    """Refuse an unknown task and counts that would score nothing (or frames too small for SSIM)."""
    from tempo_cli.evaluation.metrics import SSIM_WINDOW

    if task not in TASKS:
        raise CliError(f"--task must be one of {', '.join(TASKS)}, got {task!r}")
    if limit is not None:
        parse_count(limit, "--limit")
    parse_count(max_windows, "--max-windows")
    if max_side is not None and max_side < SSIM_WINDOW:
        raise CliError(f"--max-side must be at least {SSIM_WINDOW} (the SSIM window), got {max_side}")


def _check_inputs(paths: list[Path], task: str, anchors: int) -> None:
    """Refuse a missing path, one that holds no evaluation data, a video that cannot be opened, and anchors a window
    cannot have, before any model is loaded."""
    from tempo_cli.evaluation.datasets import VIDEO_LAYOUTS, check_videos_open, check_window_anchors, detect_layout

    parse_anchors(anchors)
    for path in paths:
        if not path.exists():
            raise CliError(f"not found: {path}")
        layout = detect_layout(path)
        check_window_anchors(anchors, task, layout)
        if layout in VIDEO_LAYOUTS:
            check_videos_open(path)


def _missing_sets(paths: list[Path], result: dict[str, Any], task: str, anchors: int) -> list[str]:
    """A note for each scored video that has no row for a set its task scores."""
    from tempo_cli.evaluation.datasets import video_windows
    from tempo_cli.evaluation.runner import scored_videos

    kinds = list(dict.fromkeys(w.kind for w in video_windows(1000, task, 1, anchors)))
    notes = []
    for video, label in scored_videos(paths).items():
        missing = [kind for kind in kinds if f"{label}/{kind}" not in result["sets"]]
        if missing:
            notes.append(
                f"{video.name}: no {', '.join(missing)} window (the video is too short, or --limit came first)"
            )
    return notes


def _nothing_scored(paths: list[Path], task: str, anchors: int) -> str:
    """Why an evaluation scored no item."""
    from tempo_cli.evaluation.datasets import min_video_frames

    names = ", ".join(map(str, paths))
    return (
        f"nothing to score in {names}: a video needs at least {min_video_frames(task, anchors)} frames "
        f"for --task {task} with {anchors} anchors, a benchmark one complete triplet or septuplet"
    )
