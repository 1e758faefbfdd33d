"""Does pulling a one-step prediction back toward the last frame pay, set by set?

    python -m benchmarks.hedged_extrapolation [--alphas 0,0.25,0.5,0.75,0.9,1] [--method tempo] [--threads 2]
                                              [--json PATH]
    python -m benchmarks.hedged_extrapolation --alphas 0.75,1,1.25,1.5,2   # how much the speed alone could buy

Where a set's targets often repeat the last frame, or its motion often stops or reverses (camera shake),
repeating the last frame scores well in the mean PSNR while continuing the motion does not. This script asks
whether a hedge between the two helps: the method predicts the frame at t1 + alpha * (t1 - t0) instead of
t1 + (t1 - t0), for each alpha (alpha = 1 is the one-step prediction, alpha = 0 the last anchor's time), and each
prediction is scored against the true next frame, on every triplet set with the same code as
`benchmarks.quality`. Repeating the last frame (`nearest`) is scored beside it. One alpha for all sets is all a
predictor can use: it is not told which set a frame comes from.

The last column, "best a per item", is the mean over items of each item's best alpha among those given: what a
predictor would score if it knew how far each target moved (an oracle, not a method). With alphas above 1 it bounds
what choosing the speed could buy where a set's motion speeds up, slows down or skips frames.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import numpy as np

from benchmarks.quality import TRIPLET_SETS, build, data_root, publish, stamp, stamp_line
from tempo_cli.devices import set_threads
from tempo_cli.evaluation.datasets import Item, detect_layout, iter_items
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import predict
from tempo_cli.synth.base import Synthesizer


def hedged_scores(synth: Synthesizer, item: Item, alphas: list[float]) -> list[float]:
    """PSNR against the true next frame of the prediction at t1 + alpha * (t1 - t0), per alpha."""
    t0, t1 = item.times[-2], item.times[-1]
    times = [t1 + a * (t1 - t0) for a in alphas]
    hedged = replace(item, gts=[item.gts[0]] * len(times), gt_times=times)
    return [psnr(frame, item.gts[0]) for frame in predict(synth, hedged)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alphas", default="0,0.25,0.5,0.75,0.9,1", help="comma-separated fractions of a step")
    parser.add_argument("--method", default="tempo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    set_threads(args.threads)
    alphas = [float(a) for a in args.alphas.split(",")]
    root = data_root() / "vfi_benchmarks"
    synth, nearest = build(args.method), build("nearest")
    assert not isinstance(synth, str) and not isinstance(nearest, str)
    data: dict[str, Any] = {**stamp(), "threads": args.threads, "method": args.method, "alphas": alphas, "sets": {}}
    rows = []
    for name in TRIPLET_SETS:
        path = root / name
        items = list(iter_items(path, detect_layout(path), "extrapolate"))
        scores = np.array([hedged_scores(synth, it, alphas) for it in items])
        repeat = float(np.mean([psnr(predict(nearest, it)[0], it.gts[0]) for it in items]))
        means = scores.mean(axis=0).tolist()
        best = float(scores.max(axis=1).mean())
        by_alpha = dict(zip(map(str, alphas), means, strict=True))
        data["sets"][name] = {"n": len(items), "nearest": repeat, "alpha": by_alpha, "best_per_item": best}
        rows.append([f"{name} ({len(items)})", f"{repeat:.2f}", *(f"{m:.2f}" for m in means), f"{best:.2f}"])
    header = ["set (items)", "nearest", *(f"{args.method} a={a:g}" for a in alphas), "best a per item"]
    title = "One step ahead, PSNR dB, predicting at t1 + a * (t1 - t0) and scoring against the next frame"
    publish(title, header, rows, f"Measured on {stamp_line(data)}.", data, args.json)


if __name__ == "__main__":
    main()
