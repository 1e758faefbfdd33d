"""Validation PSNR against training step, from a `tempo train` log, as a PNG.

    python -m benchmarks.training_curve train.log [more.log ...] --out docs/training_curve.png [--offset 0 ...]

Logs of later sessions (fine-tuned from earlier weights) are chained with `--offset`, the step at
which each one started.
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
    rows = [(s + off, v) for log, off in zip(args.logs, offsets, strict=True) for s, v in read_validation(log)]
    if not rows:
        raise SystemExit("no validation lines found")
    steps = [s for s, _ in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, style in (("interp", "-o"), ("interp_flow", "--"), ("extrap", "-s"), ("extrap_flow", ":")):
        if key in rows[0][1]:
            ax.plot(steps, [v[key] for _, v in rows], style, label=key.replace("_flow", " (DIS flow)"))
    ax.set_xlabel("training step")
    ax.set_ylabel("validation PSNR (dB), held-out clips")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    for s, v in rows:
        print(s, " ".join(f"{k} {x:.2f}" for k, x in v.items()))


if __name__ == "__main__":
    main()
