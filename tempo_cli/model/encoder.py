"""Multi-scale feature encoder shared across anchors (scales 1, 1/2, 1/4, 1/8)."""

from __future__ import annotations

from torch import Tensor, nn

from tempo_cli.model.blocks import PreActBlock, conv3x3


class Encoder(nn.Module):
    """Per-frame pyramid; independent of any target time so it is computed once per frame."""

    def __init__(self, widths: tuple[int, ...], depths: tuple[int, ...]) -> None:
        super().__init__()
        stages = []
        c_in = 3
        for level, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            stride = 1 if level == 0 else 2
            layers: list[nn.Module] = [conv3x3(c_in, width, stride=stride), nn.PReLU(width)]
            layers += [PreActBlock(width, (1, 2) if i % 2 == 0 else (2, 1)) for i in range(depth)]
            stages.append(nn.Sequential(*layers))
            c_in = width
        self.stages = nn.ModuleList(stages)

    def forward(self, image: Tensor) -> list[Tensor]:
        """image [B,3,H,W] in [0,1] (H, W multiples of 8) -> features per scale."""
        x = image * 2 - 1
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats
