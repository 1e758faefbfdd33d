"""Quality against speed, one point per method, as a PNG, from the JSON of benchmarks.quality and benchmarks.speed.

    python -m benchmarks.plot --quality quality.json --speed speed.json [--out docs/quality_vs_speed.png]

x: seconds per 720p output frame, file to file at 2x (log scale), with the decode + re-encode floor as a line;
y: mean PSNR over middlebury_other, ucf101_interp and davis_triplets (each set weighted equally).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from benchmarks.quality import triplet_mean

SIZE = "720p"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "quality_vs_speed.png"


def points(quality: dict[str, Any], speed: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(method, seconds per 720p output frame, mean triplet PSNR) for methods in both results."""
    seconds = {r["method"]: r["seconds"] / r["frames_out"] for r in speed["rows"] if r["size"] == SIZE}
    out = []
    for method, result in quality["methods"].items():
        mean = triplet_mean(result["sets"])
        if method in seconds and mean is not None:
            out.append((method, seconds[method], mean))
    return out


def floor_seconds(speed: dict[str, Any]) -> float | None:
    """Seconds per 720p output frame of the plain decode + re-encode, if measured."""
    rows = [r for r in speed["rows"] if r["size"] == SIZE and r["method"] == "floor"]
    return rows[0]["seconds"] / rows[0]["frames_out"] if rows else None


def plot(quality: dict[str, Any], speed: dict[str, Any], out: Path) -> None:
    """Write the scatter plot to `out`."""
    fig, ax = plt.subplots(figsize=(8, 5.2))
    pts = points(quality, speed)
    for method, sec, mean in pts:
        ax.scatter(sec, mean, s=60, zorder=3)
        ax.annotate(method, (sec, mean), textcoords="offset points", xytext=(7, 5), fontsize=11)
    ax.set_xscale("log")
    ax.margins(y=0.15)
    floor = floor_seconds(speed)
    xs = [sec for _, sec, _ in pts] + ([floor] if floor else [])
    ax.set_xlim(min(xs) / 1.6, max(xs) * 1.8)
    if floor:
        ax.axvline(floor, color="grey", linestyle="--", linewidth=1)
        ax.annotate(
            "decode + encode floor", (floor, ax.get_ylim()[1]), textcoords="offset points", xytext=(4, -4),
            rotation=90, va="top", color="grey",
        )  # fmt: skip
    ax.set_xlabel(f"seconds per {SIZE} output frame, file to file at 2x (log scale; lower is faster)")
    ax.set_ylabel("mean PSNR (dB) of Middlebury, UCF101, DAVIS triplets")
    ax.grid(True, which="both", alpha=0.3)
    limit = f", sets capped at {quality['limit']} items" if quality.get("limit") else ""
    ax.set_title(
        f"Quality vs speed\nquality: {quality['machine']}{limit}\nspeed: {speed['machine']}, "
        f"first {speed['frames']} frames",
        fontsize=9,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=Path, required=True, help="JSON written by benchmarks.quality")
    parser.add_argument("--speed", type=Path, required=True, help="JSON written by benchmarks.speed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    quality, speed = json.loads(args.quality.read_text()), json.loads(args.speed.read_text())
    plot(quality, speed, args.out)
    print(f"{args.out}: one point per method in both results ({speed['machine']})")
    floor = floor_seconds(speed)
    for method, sec, mean in points(quality, speed):
        ratio = f" ({sec / floor:.1f}x the floor's)" if floor else ""
        print(f"  {method:13} {sec:8.3f} s per {SIZE} output frame{ratio}   {mean:6.2f} dB")


if __name__ == "__main__":
    main()
