"""Crops of every method's middle frame beside the ground truth, with error maps, for two hard cases, as PNG grids.

    python -m benchmarks.visual [--fast davis_triplets/e-bike] [--occlusion middlebury_other/Beanbags] [--crop 256]
                                [--out-dir docs] [--json PATH]

Defaults: e-bike has the second largest motion of the DAVIS triplets (DIS flow between the inputs: 74 px mean at
960x540, a fast pan past a pillar); the largest, tackle (82 px), tells the methods apart too little: all of them,
RIFE included, score 13-15 dB there and their error maps saturate everywhere. Middlebury Beanbags is the
occlusion case: juggled beanbags and hands cross and uncover the shirt. The crop (same for all methods) is where the
two inputs differ most (box-filtered |frame 1 - frame 0|), chosen without looking at any output.
Error maps: |prediction - ground truth| averaged over RGB, times 4, black = exact. PSNR on the crop and whole frame.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from tempo_cli.evaluation.datasets import Item, load_image
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import predict

METHODS = ("tempo", "rife4", "minterpolate", "flow", "blend")
CASES = {"fast_motion": "davis_triplets/e-bike", "occlusion": "middlebury_other/Beanbags"}
ERROR_GAIN = 4.0
LAYOUT_FILES = {
    "davis_triplets": ("input/{s}/frame10.png", "gt/{s}/frame10i11.png", "input/{s}/frame11.png"),
    "middlebury_other": (
        "other-data/{s}/frame10.png", "other-gt-interp/{s}/frame10i11.png", "other-data/{s}/frame11.png",
    ),
    "ucf101_interp": ("{s}/frame_00.png", "{s}/frame_01_gt.png", "{s}/frame_02.png"),
}  # fmt: skip


def load_triplet(root: Path, spec: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame 0, ground-truth middle, frame 1) of "set/sequence", float32 RGB in [0,1]."""
    name, seq = spec.split("/", 1)
    if name not in LAYOUT_FILES:
        raise SystemExit(f"unknown set {name}; choose from {', '.join(LAYOUT_FILES)}")
    first, mid, last = (load_image(root / "vfi_benchmarks" / name / p.format(s=seq)) for p in LAYOUT_FILES[name])
    return first, mid, last


def crop_box(a: np.ndarray, b: np.ndarray, size: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the size x size window (clipped to the frame) where |b - a| is largest."""
    h, w = a.shape[:2]
    cw, ch = min(size, w), min(size, h)
    diff = np.abs(b - a).mean(axis=2)
    energy = cv2.boxFilter(diff, -1, (cw, ch), normalize=True, borderType=cv2.BORDER_CONSTANT)
    cy, cx = np.unravel_index(np.argmax(energy), energy.shape)
    x = int(np.clip(cx - cw // 2, 0, w - cw))
    y = int(np.clip(cy - ch // 2, 0, h - ch))
    return x, y, cw, ch


def predictions(methods: dict[str, Any], a: np.ndarray, gt: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Each method's middle frame, rounded to 8 bits as in the evaluation."""
    item = Item("visual", "visual", "", [a, b], [0.0, 1.0], [gt], [0.5])
    return {name: predict(synth, item)[0] for name, synth in methods.items()}


def _show(ax: plt.Axes, image: np.ndarray, title: str, cmap: str | None = None) -> None:
    ax.imshow(np.clip(image, 0, 1), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=11)
    ax.axis("off")


def figure(
    title: str, a: np.ndarray, gt: np.ndarray, b: np.ndarray, preds: dict[str, np.ndarray], box: tuple[int, ...]
) -> tuple[plt.Figure, dict[str, Any]]:
    """Crops (top) and error maps (bottom) of inputs, ground truth and predictions; PSNRs per method."""
    x, y, w, h = box

    def cut(img: np.ndarray) -> np.ndarray:
        return img[y : y + h, x : x + w]

    cols = 3 + len(preds)
    fig, axes = plt.subplots(2, cols, figsize=(2.6 * cols, 2.6 * 2 * h / w + 1.0), squeeze=False)
    _show(axes[0, 0], cut(a), "frame 0 (input)")
    _show(axes[0, 1], cut(b), "frame 1 (input)")
    _show(axes[0, 2], cut(gt), "ground truth")
    _show(axes[1, 0], a, "crop in frame 0")
    axes[1, 0].add_patch(Rectangle((x, y), w, h, fill=False, edgecolor="yellow", linewidth=1.5))
    _show(axes[1, 1], cut(np.abs(b - a).mean(axis=2)), "|frame 1 - frame 0|", "gray")
    axes[1, 2].axis("off")
    scores = {}
    for col, (name, pred) in enumerate(preds.items(), start=3):
        scores[name] = {"psnr_crop": psnr(cut(pred), cut(gt)), "psnr_frame": psnr(pred, gt)}
        _show(axes[0, col], cut(pred), name)
        err = cut(np.abs(pred - gt).mean(axis=2)) * ERROR_GAIN
        crop_db, frame_db = scores[name]["psnr_crop"], scores[name]["psnr_frame"]
        label = f"error x{ERROR_GAIN:g}\ncrop {crop_db:.1f} dB, frame {frame_db:.1f}"
        _show(axes[1, col], err, label, "gray")
    fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return fig, scores


def to_markdown(data: dict[str, Any], root: Path) -> str:
    """Each case as an image link (relative to `root`) and its PSNRs, then the machine line."""
    from benchmarks.quality import markdown_table, stamp_line

    parts = []
    for case, c in data["cases"].items():
        rows = [[m, f"{s['psnr_crop']:.2f}", f"{s['psnr_frame']:.2f}"] for m, s in c["scores"].items()]
        table = markdown_table(["method", "PSNR crop (dB)", "PSNR frame (dB)"], rows)
        link = Path(c["png"]).resolve().relative_to(root.resolve()).as_posix()
        title = f"{case.replace('_', ' ')}: {c['spec']}"
        parts.append(f"**{title}**\n\n![{title}]({link})\n\n{table}")
    skipped = "".join(f" {m}: skipped ({why})." for m, why in data["skipped"].items())
    return "\n\n".join([*parts, f"Computed on {stamp_line(data)}.{skipped}"])


def build_methods() -> tuple[dict[str, Any], dict[str, str]]:
    """The synthesizers to show and the ones skipped (with why)."""
    from benchmarks.quality import build

    built = {m: build(m) for m in METHODS}
    skipped = {m: s for m, s in built.items() if isinstance(s, str)}
    return {m: s for m, s in built.items() if m not in skipped}, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", default=CASES["fast_motion"], help="set/sequence of the fast-motion case")
    parser.add_argument("--occlusion", default=CASES["occlusion"], help="set/sequence of the occlusion case")
    parser.add_argument("--crop", type=int, default=256, help="crop side in pixels")
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    from benchmarks.quality import data_root, stamp, stamp_line
    from tempo_cli.devices import set_threads

    set_threads(args.threads)
    root = data_root()
    methods, skipped = build_methods()
    data: dict[str, Any] = {**stamp(), "skipped": skipped, "cases": {}}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for case, spec in (("fast_motion", args.fast), ("occlusion", args.occlusion)):
        a, gt, b = load_triplet(root, spec)
        box = crop_box(a, b, args.crop)
        title = f"{case.replace('_', ' ')}: {spec} ({a.shape[1]}x{a.shape[0]}), crop at x={box[0]}, y={box[1]}"
        fig, scores = figure(title, a, gt, b, predictions(methods, a, gt, b), box)
        path = args.out_dir / f"visual_{case}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        data["cases"][case] = {"spec": spec, "crop": box, "png": str(path), "scores": scores}
        print(f"{path}: {title}")
        for name, s in scores.items():
            print(f"  {name:13} crop {s['psnr_crop']:6.2f} dB   frame {s['psnr_frame']:6.2f} dB")
    print(f"Measured on {stamp_line(data)}.")
    for m, why in skipped.items():
        print(f"{m}: skipped ({why})")
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
