"""Validation PSNR against training step, from a `tempo train` log, as a PNG.

    python -m benchmarks.training_curve train.log [more.log ...] --out docs/training_curve.png [--offset 0 ...]

Logs of later sessions (fine-tuned from earlier weights) are chained with `--offset`, the step at
which each one started; each log is its own line, interpolation and next frame in two panels.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

VAL_LINE = re.compile(r"^step (\d+) val (.*)$")


def read_validation(path: Path) -> list[tuple[int, dict[str, float]]]:
    """(step, {metric: value}) for every validation line of a log."""
    rows = []
    for line in path.read_text().splitlines():
        match = VAL_LINE.match(line.strip())
        if match:
            parts = match.group(2).split()
            rows.append((int(match.group(1)), {k: float(v) for k, v in zip(parts[::2], parts[1::2], strict=True)}))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", nargs="+", type=Path)
    parser.add_argument("--offset", type=int, nargs="*", default=None, help="first step of each log")
    parser.add_argument("--out", type=Path, default=Path("docs/training_curve.png"))
    args = parser.parse_args()
    offsets = args.offset or [0] * len(args.logs)
    runs = [
        (log.stem, [(s + off, v) for s, v in read_validation(log)]) for log, off in zip(args.logs, offsets, strict=True)
    ]
    rows = [row for _, run in runs for row in run]
    if not rows:
        raise SystemExit("no validation lines found")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in ((axes[0], "interp", "interpolation"), (axes[1], "extrap", "next frame")):
        for name, run in runs:
            if run and key in run[0][1]:
                ax.plot([s for s, _ in run], [v[key] for _, v in run], "-o", markersize=3, label=name)
        for i, (_, run) in enumerate(r for r in runs if r[1] and f"{key}_flow" in r[1][0][1]):
            steps = [s for s, _ in run]
            flow = [v[f"{key}_flow"] for _, v in run]
            ax.plot(steps, flow, ":", color="gray", label="DIS flow, same samples" if i == 0 else None)
        ax.set_title(title)
        ax.set_xlabel("training step (chained over sessions)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("validation PSNR (dB), held-out clips")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    for s, v in rows:
        print(s, " ".join(f"{k} {x:.2f}" for k, x in v.items()))


if __name__ == "__main__":
    main()
