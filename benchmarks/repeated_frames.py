"""How many extrapolation targets of each triplet set repeat the frame before them, and what that does to the scores.

    python -m benchmarks.repeated_frames [--threshold 45] [--methods nearest,flow,tempo] [--json PATH]

A source video with duplicated frames (a low frame rate padded to a higher one) gives triplets whose
third frame equals the second. There, repeating the last frame is exact (PSNR at the cap) while any
method that continues the motion is wrong, and the mean PSNR of a set rewards that. This script
splits each set into items whose target is within `--threshold` dB of the last anchor and the rest,
and scores each method on both parts with the same `evaluate` code as `benchmarks.quality`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.quality import TRIPLET_SETS, build, data_root, markdown_table, show_table, stamp, stamp_line
from tempo_cli.evaluation.datasets import Item, detect_layout, iter_items
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import predict, to_image
from tempo_cli.synth.base import Synthesizer


def is_repeat(item: Item, threshold: float) -> bool:
    """The target is (nearly) the last anchor again."""
    return psnr(item.frames[-1], item.gts[0]) >= threshold


def score(synth: Synthesizer, items: list[Item]) -> float | None:
    """Mean PSNR of one-step extrapolation over `items` (None for none)."""
    values = []
    for item in items:
        anchors = [synth.prepare(to_image(f)) for f in item.frames]
        values.append(psnr(predict(synth, anchors, item)[0], item.gts[0]))
    return float(np.mean(values)) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=45.0, help="PSNR in dB from which a target is a repeat")
    parser.add_argument("--methods", default="nearest,flow,tempo")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    root = data_root() / "vfi_benchmarks"
    synths = {m: build(m) for m in args.methods.split(",")}
    data: dict[str, Any] = {**stamp(), "threshold": args.threshold, "sets": {}}
    rows = []
    for name in TRIPLET_SETS:
        path = root / name
        items = list(iter_items(path, detect_layout(path), "extrapolate"))
        repeats = [it for it in items if is_repeat(it, args.threshold)]
        others = [it for it in items if not is_repeat(it, args.threshold)]
        entry: dict[str, Any] = {"n": len(items), "repeats": len(repeats), "methods": {}}
        for method, synth in synths.items():
            if isinstance(synth, str):
                continue
            entry["methods"][method] = {
                "all": score(synth, items),
                "repeats": score(synth, repeats),
                "others": score(synth, others),
            }
        data["sets"][name] = entry
        for part in ("all", "repeats", "others"):
            count = {"all": len(items), "repeats": len(repeats), "others": len(others)}[part]
            cells = [entry["methods"][m][part] for m in entry["methods"]]
            rows.append([f"{name} ({part})", str(count), *("-" if c is None else f"{c:.2f}" for c in cells)])
    header = ["set (items)", "n", *(m for m in synths if not isinstance(synths[m], str))]
    show_table("One-step extrapolation, PSNR dB, split by repeated targets", header, rows)
    print(f"Repeated target: PSNR(last anchor, target) >= {args.threshold} dB. Measured on {stamp_line(data)}.")
    print(markdown_table(header, rows))
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
