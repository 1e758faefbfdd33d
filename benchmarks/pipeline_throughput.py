"""Pipeline overhead at 720p: `--model blend` against a plain PyAV decode + re-encode, and memory against clip length.

    python -m benchmarks.pipeline_throughput [--short 5] [--long 60] [--repeats 3] [--tempo-seconds 2 10]
                                             [--threads 2] [--json PATH]

The targets (from the issue): at 720p with --model blend, tempo's end-to-end throughput is at least 80% of a plain
PyAV decode and re-encode of the same clip with the same encoder settings, measured in the same run; and peak
memory for a 60-second 720p clip is within 1.5x of that for a 5-second one. Clips: sam2_01_dog.mp4 (1280x720)
looped to length and re-encoded with libx264 crf 18. Both methods write 2x as many frames as the clip has, with
libx264 crf 18 preset medium, each run in its own process (see benchmarks.speed). The short clip is measured
`--repeats` times (interleaved, best run kept), the long one once.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.speed import SIZES, make_clip, probe, run_methods

THROUGHPUT_TARGET = 0.80
MEMORY_TARGET = 1.5


def _row(rows: list[dict[str, Any]], clip: str, method: str) -> dict[str, Any]:
    return next(r for r in rows if r["clip"] == clip and r["method"] == method)


def _memory(rows: list[dict[str, Any]], method: str, short: str, long: str) -> dict[str, Any]:
    value = _row(rows, long, method)["peak_rss_mb"] / _row(rows, short, method)["peak_rss_mb"]
    target = method == "blend"
    return {
        "check": f"{method} peak RSS, {long} / {short}",
        "value": value,
        "target": f"<= {MEMORY_TARGET:.1f}" if target else "(reference)",
        "pass": value <= MEMORY_TARGET if target else None,
    }


def verdicts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks against the targets: what, measured value, target, pass (None: reference only)."""
    rows, labels = data["rows"], data["labels"]
    out = []
    for clip in (labels["short"], labels["long"]):
        ratio = _row(rows, clip, "blend")["ratio_to_floor"]
        out.append(
            {
                "check": f"blend fps / floor fps, {clip}",
                "value": ratio,
                "target": f">= {THROUGHPUT_TARGET:.2f}",
                "pass": ratio >= THROUGHPUT_TARGET,
            }
        )
    out += [_memory(rows, m, labels["short"], labels["long"]) for m in ("blend", "floor")]
    if "tempo_short" in labels:
        out.append(_memory(rows, "tempo", labels["tempo_short"], labels["tempo_long"]))
    return out


HEADER = ["clip", "method", "frames out", "output fps", "x floor fps", "peak RSS MB"]
CHECK_HEADER = ["check", "measured", "target", "result"]


def _ratio(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


def table_rows(data: dict[str, Any]) -> list[list[str]]:
    """One row per clip and method."""
    return [
        [r["clip"], r["method"], str(r["frames_out"]), f"{r['fps']:.2f}", _ratio(r["ratio_to_floor"]),
         f"{r['peak_rss_mb']:.0f}"]
        for r in data["rows"]
    ]  # fmt: skip


def check_rows(data: dict[str, Any]) -> list[list[str]]:
    """One row per check, PASS/FAIL where there is a target."""
    result = {True: "PASS", False: "FAIL", None: ""}
    return [[c["check"], f"{c['value']:.3f}", c["target"], result[c["pass"]]] for c in data["checks"]]


def notes(data: dict[str, Any]) -> list[str]:
    """What was measured, on what."""
    from benchmarks.quality import stamp_line

    return [
        f"Measured on {stamp_line(data)}; torch and OpenCV limited to {data['threads']} threads.",
        f"Clips: {SIZES['720p']} looped to length, 1280x720, re-encoded with libx264 crf 18; output 2x, libx264 crf "
        f"18 preset medium. Short clip: best of {data['repeats']} run(s); long clip: one run.",
        "floor: plain PyAV decode and re-encode of every frame once (no RGB conversion), same encoder settings; "
        "floor-dup (reference): every frame encoded twice, where x264 codes each repeat almost for free; "
        "blend/tempo: Interpolator(load_model(m)).interpolate_video with cut detection on.",
    ]


def to_markdown(data: dict[str, Any]) -> str:
    """The result as Markdown: measurements, checks, notes."""
    from benchmarks.quality import markdown_table

    lines = "\n".join(f"- {line}" for line in notes(data))
    return (
        f"**Pipeline overhead and memory at 720p**\n\n{markdown_table(HEADER, table_rows(data))}\n\n"
        f"{markdown_table(CHECK_HEADER, check_rows(data))}\n\n{lines}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=float, default=5.0, help="seconds of the short clip")
    parser.add_argument("--long", type=float, default=60.0, help="seconds of the long clip")
    parser.add_argument("--repeats", type=int, default=3, help="runs on the short clip")
    parser.add_argument(
        "--tempo-seconds", type=float, nargs=2, default=None, metavar=("SHORT", "LONG"),
        help="also measure tempo's peak RSS on clips of these lengths (slow on a CPU)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    from benchmarks.quality import data_root, show_table, stamp

    source = data_root() / "videos" / SIZES["720p"]
    lengths = {"short": args.short, "long": args.long}
    plan = [("short", ["floor", "floor-dup", "blend"], args.repeats), ("long", ["floor", "blend"], 1)]
    if args.tempo_seconds:
        lengths.update(tempo_short=args.tempo_seconds[0], tempo_long=args.tempo_seconds[1])
        plan += [("tempo_short", ["tempo"], 1), ("tempo_long", ["tempo"], 1)]
    labels = {key: f"{seconds:g} s" for key, seconds in lengths.items()}
    data: dict[str, Any] = {**stamp(), "threads": args.threads, "repeats": args.repeats, "labels": labels}
    data.update(clips={}, rows=[])
    with tempfile.TemporaryDirectory() as tmp:
        for key, methods, repeats in plan:
            clip = Path(tmp) / f"{lengths[key]:g}s.mp4"
            if not clip.exists():
                make_clip(source, clip, seconds=lengths[key])
                data["clips"][labels[key]] = probe(clip)
            data["rows"] += [{"clip": labels[key], **r} for r in run_methods(clip, methods, repeats, args.threads)]
    data["checks"] = verdicts(data)
    show_table("Pipeline overhead and memory at 720p", HEADER, table_rows(data))
    show_table("Checks", CHECK_HEADER, check_rows(data))
    print("\n".join(notes(data)))
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
