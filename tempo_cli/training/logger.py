"""TensorBoard (and optional wandb) logging for rank 0."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn


class RunLogger:
    """Scalars and sample grids; a no-op on ranks other than 0."""

    def __init__(self, out: Path, enabled: bool, wandb: bool, config: dict[str, Any]) -> None:
        self.enabled = enabled
        self.writer = None
        self.wandb = None
        if not enabled:
            return
        out.mkdir(parents=True, exist_ok=True)
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(out / "tb"))
        if wandb:
            if importlib.util.find_spec("wandb") is None:
                print("wandb is not installed; logging to TensorBoard only")
            else:
                import wandb as wandb_module

                self.wandb = wandb_module
                wandb_module.init(project="tempo", config=config, dir=str(out))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """Log named scalars."""
        if self.writer is None:
            return
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)
        if self.wandb is not None:
            self.wandb.log(values, step=step)

    @torch.no_grad()
    def samples(self, step: int, model: nn.Module, batch: dict[str, Tensor], amp: torch.dtype | None) -> None:
        """Grid per item: first anchor, prediction, ground truth, error x4, confidence, entropy."""
        if self.writer is None:
            return
        model.eval()
        frames, target = batch["frames"][:4], batch["target"][:4]
        with torch.autocast("cpu", dtype=amp or torch.bfloat16, enabled=amp is not None):
            pred, aux = model(frames, batch["anchor_times"][:4], batch["target_time"][:4])
        pred = pred.float().clamp(0, 1)
        err = ((pred - target).abs() * 4).clamp(0, 1)
        conf = aux["conf_map"].float().expand(-1, 3, -1, -1)
        ent = aux["attn_entropy"].float()
        ent = (ent / ent.amax().clamp_min(1e-6)).expand(-1, 3, -1, -1)
        rows = torch.cat([frames[:, 0], pred, target, err, conf, ent], dim=3)
        self.writer.add_images("samples", rows, step)
        model.train()

    def close(self) -> None:
        """Flush and close."""
        if self.writer is not None:
            self.writer.close()
        if self.wandb is not None:
            self.wandb.finish()
