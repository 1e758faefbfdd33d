"""Quality of every method side by side, in one run: PSNR/SSIM on three triplet benchmarks and on held-out videos.

    python -m benchmarks.quality [--limit N] [--max-windows 10] [--max-side 360] [--clips a.mp4,b.mp4]
                                 [--methods nearest,blend,...] [--threads 2] [--json PATH]

Interpolation: middlebury_other (12), ucf101_interp (379), davis_triplets (22), vimeo90k_samples (2: a triplet,
and a septuplet's centre; not in the mean of the triplet sets) and the clips with frames dropped
(2x: one frame from its neighbours; 4x: three frames between frames 4 apart). Extrapolation (methods that can:
nearest, flow, tempo): the triplets' third frame from the first two (the septuplet's im4 from im1..im3), and the
clips' frame k+h from frames k-1, k
(ahead1 is one step). All scoring is tempo_cli.evaluation.runner.evaluate. Also reported: seconds per item.
Shared helpers of the benchmark scripts (data location, tables, machine stamp) live here too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from tempo_cli.model import Tempo
from tempo_cli.synth.base import SynthesisResult, Synthesizer

TRIPLET_SETS = ("middlebury_other", "ucf101_interp", "davis_triplets")
# Scored and shown beside them, but left out of their mean: two items (a Vimeo-90K triplet and septuplet).
BENCHMARK_SETS = (*TRIPLET_SETS, "vimeo90k_samples")
HELD_OUT = ("mmaction2_test.mp4", "mmaction2_demo.mp4", "trackanything_test-sample2.mp4", "carnd_solidWhiteRight.mp4")
METHODS = ("nearest", "blend", "flow", "tempo", "minterpolate", "rife4")
EXTRAPOLATORS = ("nearest", "flow", "tempo")
HELD_OUT_NOTE = (
    "The default clips are held out of TEMPO's training data (excluded in its training config; they are the "
    "clips its validation loss is computed on)."
)


def data_root() -> Path:
    """shared/data beside the repository, or exit with a message saying where it was looked for."""
    root = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (root / "vfi_benchmarks").is_dir() or not (root / "videos").is_dir():
        sys.exit(f"benchmark data not found: expected {root} with vfi_benchmarks/ and videos/ (see its MANIFEST.md)")
    return root


PER_KIND = "windows of each kind per clip"


def add_held_out_arguments(parser: argparse.ArgumentParser, windows_help: str = PER_KIND) -> None:
    """--clips, --max-windows and --max-side: which held-out video windows a benchmark scores, at what size."""
    parser.add_argument("--clips", default=",".join(HELD_OUT), help="comma-separated names in shared/data/videos")
    parser.add_argument("--max-windows", type=int, default=10, help=windows_help)
    parser.add_argument("--max-side", type=int, default=360, help="short side of video frames")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """--threads and --json, which every benchmark takes."""
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)


def held_out_args(description: str) -> argparse.Namespace:
    """The command line of a benchmark over held-out windows (`add_held_out_arguments`, `add_run_arguments`),
    parsed, with torch's and OpenCV's threads set."""
    from tempo_cli.devices import set_threads

    parser = argparse.ArgumentParser(description=description)
    add_held_out_arguments(parser)
    add_run_arguments(parser)
    args = parser.parse_args()
    set_threads(args.threads)
    return args


def shipped_model() -> Tempo:
    """The network of the shipped weights, or exit saying they are missing."""
    from tempo_cli.model.weights import model_from_weights
    from tempo_cli.synth.registry import shipped_weights

    weights = shipped_weights()
    if weights is None:
        raise SystemExit("no shipped weights in weights/")
    return model_from_weights(weights)


def stamp() -> dict[str, Any]:
    """Machine, date and the load average at the time of measuring."""
    from benchmarks.machine import describe_machine

    return {"machine": describe_machine(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def stamp_line(data: dict[str, Any]) -> str:
    """One line stating machine, date and load for a result."""
    return f"{data['machine']}; load average {', '.join(map(str, data['load_average']))}"


def show_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as a rich table (first column left, the rest right aligned)."""
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console(width=200).print(table)


def publish(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    note: str,
    data: dict[str, Any],
    json_path: str | None,
) -> None:
    """Print a table, a line about it and the same table in Markdown; write `data` as JSON if asked."""
    show_table(title, header, rows)
    print(note)
    print(markdown_table(header, rows))
    if json_path:
        Path(json_path).write_text(json.dumps(data, indent=2))


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The same rows as a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join([":--"] + ["--:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class NearestSynthesizer(Synthesizer):
    """The anchor nearest in time (the earlier one on a tie): repeats frame 0 for a midpoint, the last one ahead."""

    name = "nearest"
    follows_motion = False

    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        frames = []
        for t in target_times:
            i = min(range(len(anchors)), key=lambda k: (abs(anchor_times[k] - t), anchor_times[k]))
            frame = anchors[i]
            assert isinstance(frame, np.ndarray)
            frames.append(frame)
        return SynthesisResult(frames)


def build(method: str) -> Synthesizer | str:
    """The synthesizer for `method`, or the reason it cannot run here."""
    if method == "nearest":
        return NearestSynthesizer()
    if method == "minterpolate":
        from benchmarks.peers.minterpolate import MinterpolateSynthesizer

        return MinterpolateSynthesizer()
    if method == "rife4":
        from benchmarks.peers.rife import RifeSynthesizer, rife_available

        reason = rife_available()
        return reason if reason else RifeSynthesizer()
    from tempo_cli.api import load_model

    return load_model(method)


@dataclass(frozen=True)
class Job:
    """One `evaluate` call: data at `path`, a task, the methods it applies to and an item limit.

    Video jobs (`video`) hold frames at the run's `--max-side`; triplet sets are scored at their own resolution.
    """

    label: str
    path: Path
    task: str
    methods: tuple[str, ...]
    limit: int | None
    video: bool = False


def plan_jobs(root: Path, clips_dir: Path, limit: int | None) -> list[Job]:
    """Interpolation for every method on triplets and clips, extrapolation for the methods that can."""
    bench = root / "vfi_benchmarks"
    jobs = [Job(name, bench / name, "interpolate", METHODS, limit) for name in BENCHMARK_SETS]
    jobs.append(Job("videos (2x, 4x)", clips_dir, "interpolate", METHODS, None, video=True))
    jobs += [Job(f"{name}/extrapolate", bench / name, "extrapolate", EXTRAPOLATORS, limit) for name in BENCHMARK_SETS]
    jobs.append(Job("videos (ahead1, 2, 4)", clips_dir, "extrapolate", EXTRAPOLATORS, None, video=True))
    return jobs


def link_clips(root: Path, names: Sequence[str], folder: Path) -> None:
    """Symlink the chosen clips into `folder`, so evaluate scores them as one video folder (and pools them)."""
    for name in names:
        src = root / "videos" / name
        if not src.is_file():
            sys.exit(f"clip not found: {src}")
        (folder / name).symlink_to(src)


class ItemCounter:
    """A progress callback that counts the items evaluated."""

    def __init__(self) -> None:
        self.items = 0

    def __call__(self, done: int) -> None:
        self.items += done


def run_method(method: str, synth: Synthesizer, jobs: list[Job], max_windows: int, max_side: int) -> dict[str, Any]:
    """Sets and timings of one method over the jobs that apply to it."""
    from tempo_cli.evaluation.runner import evaluate

    sets: dict[str, Any] = {}
    timing: dict[str, Any] = {}
    for job in (j for j in jobs if method in j.methods):
        count = ItemCounter()
        args = (job.path, synth, job.task, job.limit)
        side = max_side if job.video else None
        result = evaluate(*args, max_windows=max_windows, max_side=side, progress=count)
        sets.update(result["sets"])
        timing[job.label] = {"seconds": result["seconds"], "items": count.items}
        print(f"  {method:13} {job.label:32} {count.items:4d} items {result['seconds']:8.1f} s", file=sys.stderr)
    out: dict[str, Any] = {"sets": sets, "timing": timing}
    if hasattr(synth, "alignment_db"):
        out["alignment_db"] = synth.alignment_db
    return out


def triplet_mean(sets: dict[str, Any]) -> float | None:
    """Mean PSNR over the three triplet sets (each set weighted equally), if all three were scored."""
    if not all(name in sets for name in TRIPLET_SETS):
        return None
    return sum(sets[name]["psnr"] for name in TRIPLET_SETS) / len(TRIPLET_SETS)


def _cell(result: dict[str, Any] | None, name: str) -> str:
    s = (result or {}).get("sets", {}).get(name)
    return f"{s['psnr']:.2f} / {s['ssim']:.3f}" if s else "-"


def _n(data: dict[str, Any], name: str) -> str:
    for result in data["methods"].values():
        if name in result["sets"]:
            return str(result["sets"][name]["n"])
    return "-"


def tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of the interpolation, extrapolation and timing tables."""
    methods = data["methods"]
    names = list(methods)
    interp = [*BENCHMARK_SETS, "videos/2x", "videos/4x"]
    extrap = [f"{n}/extrapolate" for n in BENCHMARK_SETS] + [f"videos/ahead{h}" for h in (1, 2, 4)]
    rows_i = [[name, _n(data, name)] + [_cell(methods[m], name) for m in names] for name in interp]
    means = [triplet_mean(methods[m]["sets"]) for m in names]
    rows_i.append(["mean PSNR of the 3 triplet sets", ""] + [f"{v:.2f}" if v else "-" for v in means])
    ex_names = [m for m in names if m in EXTRAPOLATORS]
    rows_e = [[name, _n(data, name)] + [_cell(methods[m], name) for m in ex_names] for name in extrap]
    labels = list(dict.fromkeys(label for m in names for label in methods[m]["timing"]))
    rows_t = [[label] + [_seconds(methods[m]["timing"].get(label)) for m in names] for label in labels]
    clips = ", ".join(data["clips"])
    return [
        ("Interpolation, PSNR dB / SSIM (videos: " + clips + ")", ["set", "n", *names], rows_i),
        ("Extrapolation, PSNR dB / SSIM", ["set", "n", *ex_names], rows_e),
        ("Seconds per item (one evaluate call each)", ["data", *names], rows_t),
    ]


def _seconds(t: dict[str, Any] | None) -> str:
    return f"{t['seconds'] / t['items']:.3f}" if t and t["items"] else "-"


def notes(data: dict[str, Any]) -> list[str]:
    """What was measured, on what, and what was skipped."""
    out = [
        f"Measured on {stamp_line(data)}.",
        (f"Triplet sets: at most {data['limit']} items each" if data["limit"] else "Triplet sets: all items")
        + ", at their own resolution.",
        f"Videos: {data['max_windows']} windows per set and clip, short side at most {data['max_side']} px. "
        + (HELD_OUT_NOTE if set(data["clips"]) <= set(HELD_OUT) else ""),
        "Extrapolation only for methods that can extrapolate; nearest repeats the last frame there. "
        "Per-clip results are in the JSON.",
        "Seconds per item include loading and scoring the item (nearest's time is about that alone); "
        "minterpolate's include starting one ffmpeg process per item.",
    ]
    mi = data["methods"].get("minterpolate", {})
    if "alignment_db" in mi:
        out.append(f"minterpolate's output at the anchor times matched the anchors to {mi['alignment_db']:.1f} dB.")
    out += [f"{m}: skipped ({why})" for m, why in data["skipped"].items()]
    return out


def to_markdown(data: dict[str, Any]) -> str:
    """The result as Markdown: tables, then notes."""
    parts = [f"**{title}**\n\n{markdown_table(header, rows)}" for title, header, rows in tables(data)]
    return "\n\n".join([*parts, "\n".join(f"- {line}" for line in notes(data))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="items per triplet set (default: all)")
    add_held_out_arguments(parser, "windows per video set and clip")
    parser.add_argument("--methods", default=",".join(METHODS))
    add_run_arguments(parser)
    args = parser.parse_args()
    from tempo_cli.devices import set_threads

    set_threads(args.threads)
    root = data_root()
    clips = args.clips.split(",")
    data: dict[str, Any] = {**stamp(), "threads": args.threads, "limit": args.limit, "max_windows": args.max_windows}
    data.update(max_side=args.max_side, clips=clips, methods={})
    synths = {m: build(m) for m in args.methods.split(",")}
    data["skipped"] = {m: why for m, why in synths.items() if isinstance(why, str)}
    with tempfile.TemporaryDirectory() as tmp:
        link_clips(root, clips, Path(tmp))
        jobs = plan_jobs(root, Path(tmp), args.limit)
        for method, synth in synths.items():
            if not isinstance(synth, str):
                data["methods"][method] = run_method(method, synth, jobs, args.max_windows, args.max_side)
    for title, header, rows in tables(data):
        show_table(title, header, rows)
    print("\n".join(notes(data)))
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
