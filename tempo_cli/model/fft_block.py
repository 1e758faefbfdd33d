"""Global spectral block: real FFT over H and W, 1x1 conv on the spectrum, inverse FFT."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tempo_cli.model.blocks import zero_init


class FFTBlock(nn.Module):
    """Gives every position a view of the whole frame (large global motion)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.spectral = nn.Sequential(
            nn.Conv2d(2 * channels, 2 * channels, 1),
            nn.PReLU(2 * channels),
            nn.Conv2d(2 * channels, 2 * channels, 1),
        )
        self.out = nn.Conv2d(channels, channels, 1)
        zero_init(self.out)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        with torch.autocast(x.device.type, enabled=False):
            spec = torch.fft.rfft2(x.float(), norm="ortho")
            z = self.spectral(torch.cat([spec.real, spec.imag], dim=1))
            real, imag = z.chunk(2, dim=1)
            y = torch.fft.irfft2(torch.complex(real, imag), s=(h, w), norm="ortho")
        return x + self.out(y.to(x.dtype))
