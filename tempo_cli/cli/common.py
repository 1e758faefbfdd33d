"""Option types shared by `interpolate` and `extrapolate`, and the run both end in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from tempo_cli.api import Interpolator, RunOptions, load_model
from tempo_cli.cli.errors import interrupted
from tempo_cli.cli.options import default_output, parse_count
from tempo_cli.cli.progress import frame_progress, print_summary, warn
from tempo_cli.devices import MAX_THREADS, set_threads
from tempo_cli.engine.duplicates import DEFAULT_MAX_RUN, DEFAULT_THRESHOLD
from tempo_cli.engine.overlays import STILL_FRAMES
from tempo_cli.synth.neural import MAX_WORKING_SIDE
from tempo_cli.video.paths import validate_output_path
from tempo_cli.video.writer import EncodeOptions

Input = Annotated[Path, typer.Argument(help="Input video file, or a folder of PNG/JPG frames (with --input-fps).")]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Output video file, or a folder for numbered PNGs. Default: beside the input."),
]
Model = Annotated[
    str, typer.Option(help="Synthesizer: tempo (shipped weights), flow (OpenCV DIS), blend, or a TEMPO config name.")
]
Weights = Annotated[Path | None, typer.Option(help="TEMPO weights (.safetensors) instead of the shipped ones.")]
Device = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")]
Precision = Annotated[
    str, typer.Option(help="auto (fp16 on CUDA; bf16 on a CPU with native bf16, else fp32), fp32, fp16 or bf16.")
]
Threads = Annotated[
    int | None, typer.Option(help=f"CPU threads for torch and OpenCV, 1 to {MAX_THREADS} (default: all).")
]
Batch = Annotated[
    int | None,
    typer.Option(help="Target frames synthesized per model call (default: 4 on a GPU, 1 on the CPU)."),
]
Scale = Annotated[
    str,
    typer.Option(
        help=f"TEMPO's working scale: auto (1 up to a {MAX_WORKING_SIDE} px short side, then halved) or a number "
        "in (0, 1]."
    ),
]
CutThreshold = Annotated[
    float, typer.Option(help="Scene-cut threshold of scenedetect's content detector (jump cuts, 0.45 of it).")
]
NoCutDetect = Annotated[bool, typer.Option("--no-cut-detect", help="Do not look for scene cuts with scenedetect.")]
CutMode = Annotated[str, typer.Option(help="Frames between two shots: repeat (nearest source frame) or blend.")]
Dedup = Annotated[
    bool,
    typer.Option(
        "--dedup",
        help="Synthesize the frames that only repeat the one before (a lower frame rate padded to this one) "
        f"instead of copying them; a picture held for more than {DEFAULT_MAX_RUN + 1} frames is a freeze and kept.",
    ),
]
DedupThreshold = Annotated[
    float | None,
    typer.Option(
        help=f"The largest change of a copy, in 8-bit levels of any 16-px block (implies --dedup; default "
        f"{DEFAULT_THRESHOLD:g})."
    ),
]
KeepOverlays = Annotated[
    bool,
    typer.Option(
        "--keep-overlays/--no-keep-overlays",
        help="Keep still, opaque captions, logos and on-screen displays over a moving picture out of its motion, so "
        f"the picture around them does not lag (found once still for {STILL_FRAMES} frames; not with --model blend, "
        "which follows no motion).",
    ),
]
SlowMotion = Annotated[
    bool,
    typer.Option(
        "--slow-motion",
        help="Play the new frames at the input's frame rate: the video runs --factor times longer (or --fps / input "
        "fps), its audio slowed as much at the same pitch and its subtitles retimed.",
    ),
]
TileOpt = Annotated[str | None, typer.Option("--tile", help="Tile size in pixels for large frames, or 'auto'.")]
TileOverlap = Annotated[
    int | None,
    typer.Option(help="Overlap between tiles in pixels (default: a quarter of the tile, 64 to half the tile)."),
]
Codec = Annotated[
    str,
    typer.Option(
        help="Video encoder: auto (H.264, or VP9 for .webm, VP8 for .ogv, where H.264 does not fit), or one by "
        "name, e.g. libx264, libx265, libvpx-vp9, ffv1."
    ),
]
Crf = Annotated[
    int,
    typer.Option(
        help="Constant rate factor of the encoder (lower is better); MJPEG and MPEG-1/2/4 take a quantizer from it."
    ),
]
Preset = Annotated[str, typer.Option(help="Encoder preset, e.g. medium, fast, veryslow.")]
PixFmt = Annotated[
    str | None,
    typer.Option(
        help="Output pixel format (default: yuv420p, 10-bit kept for 10-bit input; the source's if lossless)."
    ),
]
Lossless = Annotated[
    bool,
    typer.Option(
        "--lossless",
        help="Lossless output (x264 qp 0, VP9 lossless or ffv1) in the source's pixel format: source frames "
        "bit-exact (a warning says where the encoder lacks that format, e.g. H.264 for RGB; ffv1 has it).",
    ),
]
InputFps = Annotated[str | None, typer.Option(help="Frame rate of an image-folder input, e.g. 24 or 30000/1001.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
SaveMaps = Annotated[
    Path | None,
    typer.Option(help="Folder for the model's confidence map (conf_NNNNNN.png, numbered like the output frames)."),
]


@dataclass(frozen=True)
class RuntimeSettings:
    """How the synthesizer runs."""

    model: str
    weights: Path | None
    device: str
    precision: str
    threads: int | None
    batch: int | None
    scale: str = "auto"


def encode_options(codec: str, crf: int, preset: str, pix_fmt: str | None, lossless: bool) -> EncodeOptions:
    """The encoder settings of the command line."""
    return EncodeOptions(codec=codec, crf=crf, preset=preset, pix_fmt=pix_fmt, lossless=lossless)


def execute(src: Path, dst: Path | None, tag: str, options: RunOptions, runtime: RuntimeSettings, quiet: bool) -> None:
    """Load the synthesizer, run with a progress bar and print the summary."""
    set_threads(runtime.threads)
    if runtime.batch is not None:
        parse_count(runtime.batch, "--batch")
    target = dst or default_output(src, tag)
    if src.exists():  # before the model loads (the run checks it again); a missing input is reported first
        validate_output_path(target, src, options.overwrite)
    synth = load_model(runtime.model, runtime.weights, runtime.device, runtime.precision, runtime.batch, runtime.scale)
    before = _identity(target)
    maps_before = None if options.save_maps is None else _identity(options.save_maps)
    try:
        with frame_progress(quiet, target.name) as progress:
            summary = Interpolator(synth).interpolate_video(src, target, options, progress, warn)
    except KeyboardInterrupt as exc:
        if _identity(target) not in (None, before):  # it came after the output was moved into place
            maps_kept = options.save_maps is None or _identity(options.save_maps) not in (None, maps_before)
            interrupted(exc, f"{target} was written" + ("" if maps_kept else f", not the maps in {options.save_maps}"))
        raise
    print_summary(summary, quiet)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file (or folder) at `path` as (inode, modification time), None if there is none."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns
