"""The Typer app: `tempo interpolate | extrapolate | train | eval | info`."""

from __future__ import annotations

import sys

import cv2
import typer
from typer._click.exceptions import NoArgsIsHelpError  # typer vendors click; no public name for this
from typer.exceptions import Abort, TyperException

from tempo_cli.cli import common as c
from tempo_cli.cli.errors import (
    INTERRUPT_EXIT,
    USAGE_EXIT,
    CliError,
    interrupted,
    raise_undelivered_stop,
    run_guarded,
)
from tempo_cli.cli.evaluate import eval_command
from tempo_cli.cli.info import info_command
from tempo_cli.cli.options import (
    MAX_ADDED,
    parse_added,
    parse_anchors,
    parse_dedup,
    parse_factor,
    parse_optional_rate,
    parse_tile,
)
from tempo_cli.cli.train import train_command
from tempo_cli.engine.planner import MAX_ANCHORS

app = typer.Typer(
    name="tempo",
    help="Smooth slow motion, higher frame rates and frames past the end of a clip.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def interpolate(
    src: c.Input,
    output: c.Output = None,
    factor: str | None = typer.Option(None, help="Output frames per input frame: any whole number >= 2."),
    fps: str | None = typer.Option(None, help="Target frame rate instead of --factor: 60, 59.94 or 60000/1001."),
    anchors: int = typer.Option(2, help="Source frames the model sees per target (2, or 4 for two on each side)."),
    model: c.Model = "tempo",
    weights: c.Weights = None,
    device: c.Device = "auto",
    precision: c.Precision = "auto",
    threads: c.Threads = None,
    batch: c.Batch = None,
    scale: c.Scale = "auto",
    cut_threshold: c.CutThreshold = 27.0,
    no_cut_detect: c.NoCutDetect = False,
    cut_mode: c.CutMode = "repeat",
    slow_motion: c.SlowMotion = False,
    dedup: c.Dedup = False,
    dedup_threshold: c.DedupThreshold = None,
    keep_overlays: c.KeepOverlays = True,
    tile: c.TileOpt = None,
    tile_overlap: c.TileOverlap = None,
    codec: c.Codec = "auto",
    crf: c.Crf = 18,
    preset: c.Preset = "medium",
    pix_fmt: c.PixFmt = None,
    lossless: c.Lossless = False,
    input_fps: c.InputFps = None,
    overwrite: c.Overwrite = False,
    quiet: c.Quiet = False,
    save_maps: c.SaveMaps = None,
) -> None:
    """Raise the frame rate of a video by --factor N or to --fps R."""

    def run() -> None:
        n = parse_factor(factor)
        rate = parse_optional_rate(fps, "--fps")
        if n is None and rate is None:
            n = 2
        elif n is not None and rate is not None:
            raise CliError("give either --factor or --fps, not both")
        options = c.RunOptions(
            factor=n,
            fps=rate,
            anchors=parse_anchors(anchors, even=True),
            cut_detect=not no_cut_detect,
            cut_threshold=cut_threshold,
            cut_mode=_cut_mode(cut_mode),
            slow_motion=slow_motion,
            duplicate_threshold=parse_dedup(dedup, dedup_threshold),
            keep_overlays=keep_overlays,
            tile=parse_tile(tile),
            tile_overlap=tile_overlap,
            input_fps=parse_optional_rate(input_fps, "--input-fps"),
            encode=c.encode_options(codec, crf, preset, pix_fmt, lossless),
            overwrite=overwrite,
            save_maps=save_maps,
        )
        tag = f"x{n}" if n else f"{float(rate or 0):g}fps"
        runtime = c.RuntimeSettings(model, weights, device, precision, threads, batch, scale)
        c.execute(src, output, tag, options, runtime, quiet)

    run_guarded(run)


@app.command()
def extrapolate(
    src: c.Input,
    output: c.Output = None,
    ahead: int | None = typer.Option(
        None,
        help=f"Source frame intervals predicted after the last frame, up to {MAX_ADDED} (with --causal --factor N: N "
        "frames each).",
    ),
    behind: int | None = typer.Option(
        None, help="Source frame intervals predicted before the first frame (as --ahead)."
    ),
    causal: bool = typer.Option(False, "--causal", help="Raise the frame rate from past frames only (low latency)."),
    factor: str | None = typer.Option(None, help="With --causal: output frames per input frame (default 2)."),
    anchors: int = typer.Option(
        3, help=f"Past frames the model sees per prediction (2-{MAX_ANCHORS}); the clip needs at least as many."
    ),
    model: c.Model = "tempo",
    weights: c.Weights = None,
    device: c.Device = "auto",
    precision: c.Precision = "auto",
    threads: c.Threads = None,
    batch: c.Batch = None,
    scale: c.Scale = "auto",
    cut_threshold: c.CutThreshold = 27.0,
    no_cut_detect: c.NoCutDetect = False,
    keep_overlays: c.KeepOverlays = True,
    tile: c.TileOpt = None,
    tile_overlap: c.TileOverlap = None,
    codec: c.Codec = "auto",
    crf: c.Crf = 18,
    preset: c.Preset = "medium",
    pix_fmt: c.PixFmt = None,
    lossless: c.Lossless = False,
    input_fps: c.InputFps = None,
    overwrite: c.Overwrite = False,
    quiet: c.Quiet = False,
    save_maps: c.SaveMaps = None,
) -> None:
    """Predict frames after the end (--ahead), before the start (--behind) or from past frames only (--causal)."""

    def run() -> None:
        n = parse_factor(factor)
        if causal:
            n = n or 2
        elif n is not None:
            raise CliError("--factor needs --causal (without it, use tempo interpolate)")
        if not causal and ahead is None and behind is None:
            raise CliError("nothing to do: give --ahead K, --behind K or --causal")
        n_ahead = 0 if ahead is None else parse_added(ahead, "--ahead")
        n_behind = 0 if behind is None else parse_added(behind, "--behind")
        options = c.RunOptions(
            factor=n,
            anchors=parse_anchors(anchors),
            ahead=n_ahead,
            behind=n_behind,
            causal=causal,
            cut_detect=not no_cut_detect,
            cut_threshold=cut_threshold,
            keep_overlays=keep_overlays,
            tile=parse_tile(tile),
            tile_overlap=tile_overlap,
            input_fps=parse_optional_rate(input_fps, "--input-fps"),
            encode=c.encode_options(codec, crf, preset, pix_fmt, lossless),
            overwrite=overwrite,
            save_maps=save_maps,
        )
        parts = (
            f"causal{n}x" if causal else "",
            f"behind{n_behind}" if n_behind else "",
            f"ahead{n_ahead}" if n_ahead else "",
        )
        tag = "_".join(part for part in parts if part)
        runtime = c.RuntimeSettings(model, weights, device, precision, threads, batch, scale)
        c.execute(src, output, tag, options, runtime, quiet)

    run_guarded(run)


def _cut_mode(value: str) -> str:
    if value not in ("repeat", "blend"):
        raise CliError(f"--cut-mode must be repeat or blend, got {value!r}")
    return value


app.command(name="train")(train_command)
app.command(name="eval")(eval_command)
app.command(name="info")(info_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors are one line on stderr (exit 2), Ctrl-C exits 130. OpenCV's own log lines (a broken
    PNG printed two before tempo's one) are off: what fails is tempo's to say."""
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        command = typer.main.get_command(app)
        code = command.main(args=argv if argv is not None else sys.argv[1:], prog_name="tempo", standalone_mode=False)
        # Typer answers an interrupt that reaches it before a command's own guard (while it parses the arguments)
        # by returning 130 and keeping the signal to itself: say it as any other interrupt, by its own signal.
        if code == INTERRUPT_EXIT:
            raise_undelivered_stop()
            raise KeyboardInterrupt
    except NoArgsIsHelpError as exc:
        print(exc.format_message())
        raise SystemExit(0) from None
    except KeyboardInterrupt as exc:
        interrupted(exc)
    except Abort:
        interrupted(KeyboardInterrupt())
    except TyperException as exc:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print(f"tempo: error: {' '.join(message.split())}", file=sys.stderr)
        raise SystemExit(USAGE_EXIT) from None
