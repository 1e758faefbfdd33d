"""Do the two anchors of a triplet tell whether its third frame repeats the second?

    python -m benchmarks.copy_cues [--threshold 38] [--tuned-on ucf101_interp] [--json PATH]

UCF101 holds triplets from sources at a lower frame rate padded with copies: the two anchors move, the target
repeats the last one. Mean PSNR rewards repeating there by ~20 dB an item, so a one-step predictor would beat
repeating the last frame on such a set only if something in the two anchors picked those targets out. This script
measures cues a predictor could compute from the anchors alone (how far apart they are, how far DIS says they
move, how sharp the last is against the first) and, among items whose anchors move, how well each separates
repeated targets from moving ones (ROC AUC: 0.5 is chance). It then takes, for each cue, the rule "repeat the
last frame where the cue passes a threshold, else TEMPO" with the threshold that scores best on `--tuned-on`
itself, an upper bound no honest rule reaches (tuning on a benchmark is training on it), and scores that same
rule on every set beside TEMPO and repeating.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.quality import BENCHMARK_SETS, build, data_root, publish, stamp, stamp_line
from benchmarks.repeated_frames import item_scores
from tempo_cli.evaluation.datasets import Item, detect_layout, iter_items
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.motion.dis import dis_flow, to_gray_u8
from tempo_cli.synth.base import Synthesizer


@dataclass(frozen=True)
class Anchors:
    """The two anchors of a triplet and DIS's flow magnitude between them, per pixel."""

    first: np.ndarray
    last: np.ndarray
    motion: np.ndarray


def anchors_of(item: Item) -> Anchors:
    first, last = item.frames[-2:]
    flow = dis_flow(to_gray_u8(first), to_gray_u8(last), "dense")
    return Anchors(first, last, np.linalg.norm(flow, axis=2))


def _sharpness(frame: np.ndarray) -> float:
    """Variance of the Laplacian of the frame's luma."""
    return float(cv2.Laplacian(to_gray_u8(frame), cv2.CV_32F).var())


CUES: dict[str, Callable[[Anchors], float]] = {
    "anchors apart (dB)": lambda a: psnr(a.first, a.last),
    "mean motion (px)": lambda a: float(a.motion.mean()),
    "95th pct motion (px)": lambda a: float(np.percentile(a.motion, 95)),
    "moving share (>1 px)": lambda a: float((a.motion > 1).mean()),
    "last/first sharpness": lambda a: _sharpness(a.last) / max(_sharpness(a.first), 1e-6),
}


def auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """P(a positive's cue > a negative's), ties counting half."""
    above = positives[:, None] > negatives[None, :]
    ties = positives[:, None] == negatives[None, :]
    return float(above.mean() + 0.5 * ties.mean())


def best_rule(cue: np.ndarray, tempo: np.ndarray, repeat: np.ndarray) -> tuple[float, int, float]:
    """(threshold, side, mean PSNR) of the rule "repeat where side * cue >= side * threshold" scoring best here."""
    best = (float("nan"), 1, float(tempo.mean()))
    for threshold in np.unique(cue):
        for side in (1, -1):
            score = float(np.where(side * cue >= side * threshold, repeat, tempo).mean())
            if score > best[2]:
                best = (float(threshold), side, score)
    return best


def measure(path: Path, tempo: Synthesizer) -> dict[str, np.ndarray]:
    """Each cue, TEMPO's and repeating's PSNR, and the repeated/moving-anchor labels, per item of one set."""
    items = list(iter_items(path, detect_layout(path), "extrapolate"))
    anchors = [anchors_of(it) for it in items]
    columns: dict[str, np.ndarray] = {name: np.array([cue(a) for a in anchors]) for name, cue in CUES.items()}
    columns["tempo"] = np.array(item_scores(tempo, items))
    columns["repeat"] = np.array([psnr(it.frames[-1], it.gts[0]) for it in items])
    return columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=38.0, help="PSNR in dB from which a target is a repeat")
    parser.add_argument("--tuned-on", default="ucf101_interp", choices=BENCHMARK_SETS)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    root = data_root() / "vfi_benchmarks"
    tempo = build("tempo")
    if isinstance(tempo, str):
        sys.exit(tempo)
    sets = {name: measure(root / name, tempo) for name in BENCHMARK_SETS}
    tuned = sets[args.tuned_on]
    moving = tuned["anchors apart (dB)"] < args.threshold
    repeated = moving & (tuned["repeat"] >= args.threshold)
    others = moving & ~repeated
    data: dict[str, Any] = {**stamp(), "threshold": args.threshold, "tuned_on": args.tuned_on, "cues": {}}
    rows = []
    for name in CUES:
        cue = tuned[name]
        threshold, side, _ = best_rule(cue, tuned["tempo"], tuned["repeat"])
        entry = {"auc": auc(cue[repeated], cue[others]), "threshold": threshold, "side": side, "sets": {}}
        for set_name, columns in sets.items():
            rule = np.where(side * columns[name] >= side * threshold, columns["repeat"], columns["tempo"])
            entry["sets"][set_name] = float(rule.mean())
        data["cues"][name] = entry
        sign = ">=" if side == 1 else "<="
        cells = [f"{entry['sets'][s]:.2f}" for s in sets]
        rows.append([f"repeat where {name} {sign} {threshold:.3g}", f"{entry['auc']:.2f}", *cells])
    for method in ("tempo", "repeat"):
        rows.append([f"{method} everywhere", "", *(f"{sets[s][method].mean():.2f}" for s in sets)])
    sizes = (f"{s} ({len(sets[s]['tempo'])})" for s in sets)
    header = [f"rule (threshold tuned on {args.tuned_on})", "AUC", *sizes]
    title = "One step ahead, PSNR dB: can the two anchors tell a repeated target from a moving one?"
    note = (
        f"AUC: repeated targets (within {args.threshold:g} dB of the last anchor; {int(repeated.sum())} items) "
        f"against moving ones ({int(others.sum())}), among {args.tuned_on}'s items whose anchors differ (less than "
        f"{args.threshold:g} dB between them). Measured on {stamp_line(data)}."
    )
    publish(title, header, rows, note, data, args.json)


if __name__ == "__main__":
    main()
