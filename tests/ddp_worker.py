"""Run by torchrun in test_training: train a few steps from the weights given, then save this rank's weights and
what it said."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

from tempo_cli.training.config import load_config
from tempo_cli.training.loop import train

out = Path(sys.argv[1])
images = sys.argv[2]
init = sys.argv[3]
config = load_config(
    None,
    {
        "data": ("synthetic:1",),
        "images": images,
        "out": str(out / "run"),
        "steps": 3,
        "batch_size": 2,
        "crop": 48,
        "val_every": 100,
        "ckpt_every": 100,
        "val_samples": 2,
        "workers": 0,
        "threads": 1,
        "warmup": 1,
        "init": init,
    },
)
said: list[str] = []
result = train(config, echo=said.append)
torch.save(result.model.state_dict(), out / f"rank{os.environ['RANK']}.pt")
(out / f"rank{os.environ['RANK']}.log").write_text("".join(f"{line}\n" for line in said))
