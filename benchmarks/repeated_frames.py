"""How many extrapolation targets of each triplet set repeat the frame before them, and what that does to the scores.

    python -m benchmarks.repeated_frames [--threshold 45] [--methods nearest,flow,tempo] [--json PATH]

A source video with duplicated frames (a low frame rate padded to a higher one) gives triplets whose
third frame equals the second. There, repeating the last frame is exact (PSNR at the cap) while any
method that continues the motion is wrong, and the mean PSNR of a set rewards that. This script
splits each set into items whose target is within `--threshold` dB of the last anchor and the rest,
and scores each method on both parts with the same `evaluate` code as `benchmarks.quality`. It also splits
each set by how far apart its two anchors are (PSNR between them, `MOTION_BANDS`): where the anchors differ most,
a repeated target is farthest from any continuation of their motion, so each one costs a predictor the most there.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from benchmarks.quality import TRIPLET_SETS, build, data_root, publish, stamp, stamp_line
from tempo_cli.evaluation.datasets import Item, detect_layout, iter_items
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import predict
from tempo_cli.synth.base import Synthesizer

MOTION_BANDS = ((0.0, 25.0), (25.0, 35.0), (35.0, math.inf))  # PSNR between the two anchors, dB


def band_name(low: float, high: float) -> str:
    """How a motion band reads in the table."""
    return f"anchors {low:g}+ dB apart" if math.isinf(high) else f"anchors {low:g}-{high:g} dB apart"


def is_repeat(item: Item, threshold: float) -> bool:
    """The target is (nearly) the last anchor again."""
    return psnr(item.frames[-1], item.gts[0]) >= threshold


def item_scores(synth: Synthesizer, items: list[Item]) -> list[float]:
    """PSNR of one-step extrapolation on each item."""
    return [psnr(predict(synth, item)[0], item.gts[0]) for item in items]


def mean_of(values: list[float]) -> float | None:
    """Mean, or None for no values."""
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
        repeated = [is_repeat(it, args.threshold) for it in items]
        apart = [psnr(it.frames[0], it.frames[-1]) for it in items]
        parts = {"all": [True] * len(items), "repeats": repeated, "others": [not r for r in repeated]}
        parts |= {band_name(lo, hi): [lo <= a < hi for a in apart] for lo, hi in MOTION_BANDS}
        entry: dict[str, Any] = {"n": len(items), "repeats": sum(repeated), "methods": {}}
        entry["parts"] = {
            part: {"n": sum(mask), "repeats": sum(m and r for m, r in zip(mask, repeated, strict=True))}
            for part, mask in parts.items()
        }
        for method, synth in synths.items():
            if isinstance(synth, str):
                continue
            scores = item_scores(synth, items)
            entry["methods"][method] = {
                part: mean_of([s for s, keep in zip(scores, mask, strict=True) if keep]) for part, mask in parts.items()
            }
        data["sets"][name] = entry
        for part in parts:
            cells = [entry["methods"][m][part] for m in entry["methods"]]
            counts = entry["parts"][part]
            cells_text = ("-" if c is None else f"{c:.2f}" for c in cells)
            rows.append([f"{name} ({part})", str(counts["n"]), str(counts["repeats"]), *cells_text])
    header = ["set (items)", "n", "repeated", *(m for m in synths if not isinstance(synths[m], str))]
    title = "One-step extrapolation, PSNR dB, split by repeated targets and by how far apart the anchors are"
    note = f"Repeated target: PSNR(last anchor, target) >= {args.threshold} dB. Measured on {stamp_line(data)}."
    publish(title, header, rows, note, data, args.json)


if __name__ == "__main__":
    main()
