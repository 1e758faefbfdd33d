"""How many anchors should TEMPO see? The same held-out video windows scored with 2, 3 or 4 of their frames.

    python -m benchmarks.anchor_count [--clips a.mp4,b.mp4] [--max-windows 10] [--max-side 360] [--threads 2]
                                      [--json PATH]

`tempo eval --anchors N` places its windows where N anchors fit, so its figures for different N come from
different frames. Here every window has 4 anchors (interpolation: two on each side of the gap; extrapolation:
the 4 frames before it) and each prediction uses the nearest 2, 3 or 4 of them (3 only for extrapolation,
which takes the last frames), so the columns differ only in the anchors given. Shipped weights, one run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from benchmarks.quality import build, data_root, held_out_args, publish, stamp, stamp_line
from tempo_cli.evaluation.datasets import Item, iter_items
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import predict

WINDOW_ANCHORS = 4
COUNTS = {"interpolate": (2, 4), "extrapolate": (2, 3, 4)}


def nearest_anchors(item: Item, task: str, count: int) -> Item:
    """The item with only the `count` anchors nearest its targets (the middle ones, or the last ones)."""
    start = (len(item.frames) - count) // 2 if task == "interpolate" else len(item.frames) - count
    keep = slice(start, start + count)
    return Item(item.name, item.group, item.kind, item.frames[keep], item.times[keep], item.gts, item.gt_times)


def main() -> None:
    args = held_out_args(__doc__.splitlines()[0])
    synth = build("tempo")
    assert not isinstance(synth, str)
    scores: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for clip in args.clips.split(","):
        path = data_root() / "videos" / clip
        for task, counts in COUNTS.items():
            items = iter_items(path, "video", task, None, args.max_windows, args.max_side, WINDOW_ANCHORS)
            for item in items:
                for count in counts:
                    preds = predict(synth, nearest_anchors(item, task, count))
                    value = float(np.mean([psnr(p, g) for p, g in zip(preds, item.gts, strict=True)]))
                    scores[item.kind][count].append(value)
    data: dict[str, Any] = {**stamp(), "clips": args.clips.split(","), "max_side": args.max_side, "kinds": {}}
    rows = []
    for kind, by_count in scores.items():
        means = {count: float(np.mean(values)) for count, values in by_count.items()}
        data["kinds"][kind] = {"windows": len(by_count[2]), "psnr": means}
        cells = [f"{means[c]:.2f}" if c in means else "-" for c in (2, 3, 4)]
        rows.append([kind, str(len(by_count[2])), *cells])
    title = f"Held-out windows with {WINDOW_ANCHORS} anchors, scored from the nearest 2, 3 and 4, PSNR dB"
    note = f"Clips: {', '.join(data['clips'])}; short side at most {args.max_side}. Measured on {stamp_line(data)}."
    publish(title, ["set", "windows", "2 anchors", "3 anchors", "4 anchors"], rows, note, data, args.json)


if __name__ == "__main__":
    main()
