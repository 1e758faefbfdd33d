"""How far is TEMPO from what its own hypotheses, and from what motion measured on the true frame, would give?

    python -m benchmarks.headroom [--clips a.mp4,b.mp4] [--max-windows 10] [--max-side 360] [--threads 2]
                                  [--json PATH]

On held-out video windows (2x, 4x and one frame ahead, two anchors, as in `benchmarks.quality`), with the shipped
weights at the network's own size, each true frame is compared with:
- tempo: the network's frame; blend: the same without the fusion's residual;
- best hypothesis per 16x16 block, and per pixel: each of the network's M hypotheses gives a frame (its anchors'
  samples averaged); the one nearest the truth is taken in each block or pixel. A per-pixel choice among M noisy
  frames also fits noise, so it overstates what a better weighting could reach; the block choice less so;
- best (anchor, hypothesis) per pixel: the same over every anchor's sample alone (occlusion reasoning included);
- DIS from the truth: each anchor warped by OpenCV DIS flow (medium) from the true frame to it (the training
  teacher, `tempo_cli.training.data.teacher.teacher_flows`), averaged: motion
  that no predictor has (it is measured on the frame to be predicted), a ceiling for the motion alone.
Where the per-pixel and block choices lie well above tempo, better weighting of the hypotheses would pay; where
they lie near it and "DIS from the truth" far above, the hypotheses themselves (the motion) are what to improve.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from benchmarks.quality import data_root, held_out_args, publish, shipped_model, stamp, stamp_line
from tempo_cli.evaluation.datasets import Item, iter_items
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import to_image
from tempo_cli.model import Tempo
from tempo_cli.model.warp import backward_warp
from tempo_cli.training.data.teacher import teacher_flows

BLOCK = 16
COLUMNS = (
    "tempo",
    "blend",
    f"best hypothesis per {BLOCK}x{BLOCK}",
    "best hypothesis per pixel",
    "best (anchor, hypothesis) per pixel",
    "DIS from the truth",
)


def _chw(image: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float()


def _hwc(image: Tensor) -> np.ndarray:
    """[3,H,W] -> (H,W,3) in 8-bit steps, as `predict` gives every synthesizer's frames."""
    return to_image(image.clamp(0, 1).permute(1, 2, 0).numpy()).astype(np.float32) / 255


def _pick(options: Tensor, error: Tensor) -> Tensor:
    """options [K,3,H,W], error [K,H,W]: per pixel the option of least error -> [3,H,W]."""
    index = error.argmin(dim=0)[None, None].expand(1, *options.shape[1:])
    return torch.gather(options, 0, index)[0]


def _block_error(error: Tensor) -> Tensor:
    """error [K,H,W] replaced in each BLOCK x BLOCK block by its mean there."""
    h, w = error.shape[-2:]
    pooled = F.avg_pool2d(error[None], BLOCK, ceil_mode=True)
    return F.interpolate(pooled, scale_factor=BLOCK, mode="nearest")[0, :, :h, :w]


def frames_of(model: Tempo, item: Item) -> list[dict[str, np.ndarray]]:
    """For each true frame of the item, the frame of every column (anchors in 8-bit steps, as `predict` gives them)."""
    frames = [to_image(f).astype(np.float32) / 255 for f in item.frames]
    anchors = torch.stack([_chw(f) for f in frames])[None]
    bound = model.bind(model.encode(anchors), torch.tensor([item.times]))
    out = []
    for truth, time in zip(item.gts, item.gt_times, strict=True):
        pred, aux = model.synthesize(bound, torch.tensor([time]), keep_hypotheses=True)
        target = _chw(truth)
        samples = aux["samples"][0].float()
        hypotheses = samples.mean(dim=0)
        error = (hypotheses - target).abs().mean(dim=1)
        each = samples.flatten(0, 1)
        flows, _ = teacher_flows(anchors, target[None])
        moved = backward_warp(anchors[0], flows[0])
        out.append(
            {
                COLUMNS[0]: _hwc(pred[0]),
                COLUMNS[1]: _hwc(aux["blend"][0]),
                COLUMNS[2]: _hwc(_pick(hypotheses, _block_error(error))),
                COLUMNS[3]: _hwc(_pick(hypotheses, error)),
                COLUMNS[4]: _hwc(_pick(each, (each - target).abs().mean(dim=1))),
                COLUMNS[5]: _hwc(moved.mean(dim=0)),
            }
        )
    return out


def main() -> None:
    args = held_out_args(__doc__.splitlines()[0])
    model = shipped_model()
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with torch.no_grad():
        for clip in args.clips.split(","):
            path = data_root() / "videos" / clip
            for task in ("interpolate", "extrapolate"):
                for item in iter_items(path, "video", task, None, args.max_windows, args.max_side):
                    if item.kind not in ("2x", "4x", "ahead1"):
                        continue
                    for frames, truth in zip(frames_of(model, item), item.gts, strict=True):
                        for column, frame in frames.items():
                            scores[item.kind][column].append(psnr(frame, truth))
    data: dict[str, Any] = {**stamp(), "clips": args.clips.split(","), "max_side": args.max_side, "kinds": {}}
    rows = []
    for kind, by_column in scores.items():
        means = {column: float(np.mean(values)) for column, values in by_column.items()}
        count = len(by_column[COLUMNS[0]])
        data["kinds"][kind] = {"frames": count, "psnr": means}
        rows.append([kind, str(count), *(f"{means[c]:.2f}" for c in COLUMNS)])
    title = "Held-out windows: TEMPO against choices among its own hypotheses and motion from the true frame, PSNR dB"
    note = (
        f"Clips: {', '.join(data['clips'])}; short side at most {args.max_side}; shipped weights, network at full "
        f"size, two anchors. Measured on {stamp_line(data)}."
    )
    publish(title, ["set", "frames", *COLUMNS], rows, note, data, args.json)


if __name__ == "__main__":
    main()
