"""LPIPS (AlexNet), only where its package and weights are already on this machine: nothing is downloaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

# torchvision's AlexNet checkpoint, which lpips.LPIPS(net="alex") loads through torch.hub's cache.
ALEXNET_CHECKPOINT = "alexnet-owt-7be5be79.pth"


def lpips_unavailable() -> str | None:
    """Why LPIPS cannot run here without a download, or None if it can."""
    try:
        import lpips  # noqa: F401
    except ImportError:
        return "the lpips package is not installed"
    path = Path(torch.hub.get_dir()) / "checkpoints" / ALEXNET_CHECKPOINT
    if not path.is_file():
        return f"AlexNet weights are not at {path}"
    return None


def load_lpips(say: Callable[[str], None]) -> nn.Module | None:
    """The frozen LPIPS network, or None after one line (through `say`) on why it is off."""
    reason = lpips_unavailable()
    if reason is not None:
        say(f"LPIPS off: {reason} (nothing is downloaded)")
        return None
    import lpips

    model = lpips.LPIPS(net="alex", verbose=False).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def lpips_distance(model: nn.Module, pred: Tensor, target: Tensor) -> Tensor:
    """LPIPS per item of RGB images in [0,1] [B,3,H,W] (the network expects [-1,1])."""
    return model(pred.clamp(0, 1) * 2 - 1, target * 2 - 1).flatten(1).mean(dim=1)
