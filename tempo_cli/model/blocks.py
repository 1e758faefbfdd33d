"""Convolutional building blocks: pre-activation residual blocks with SE, FiLM."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def cat_channels(parts: list[Tensor], like: Tensor) -> Tensor:
    """`parts` [B,C_i,H,W] joined along channels in `like`'s memory layout.

    CPU's cat of mixed layouts (plain and channels-last) takes a slow path, and the
    next convolution would copy its input into its own layout anyway.
    """
    channels_last = (
        like.dim() == 4 and not like.is_contiguous() and like.is_contiguous(memory_format=torch.channels_last)
    )
    layout = torch.channels_last if channels_last else torch.contiguous_format
    return torch.cat([p.contiguous(memory_format=layout) for p in parts], dim=1)


def zero_init(layer: nn.Conv2d | nn.Linear) -> None:
    """Zero a layer's weight and bias, so that it outputs zeros until it learns (residual heads start as identity)."""
    nn.init.zeros_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def conv3x3(c_in: int, c_out: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution that keeps the size (or halves it with stride 2)."""
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation)


class SqueezeExcite(nn.Module):
    """Channel attention from globally pooled features."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(channels // reduction, 4)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))


class PreActBlock(nn.Module):
    """Pre-activation residual block: act-conv(d1)-act-conv(d2), then SE."""

    def __init__(self, channels: int, dilations: tuple[int, int] = (1, 2)) -> None:
        super().__init__()
        self.act1 = nn.PReLU(channels)
        self.conv1 = conv3x3(channels, channels, dilation=dilations[0])
        self.act2 = nn.PReLU(channels)
        self.conv2 = conv3x3(channels, channels, dilation=dilations[1])
        self.se = SqueezeExcite(channels)

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv2(self.act2(self.conv1(self.act1(x))))
        return x + self.se(y)


class FiLM(nn.Module):
    """Feature-wise affine modulation from a time embedding; starts as identity."""

    def __init__(self, time_dim: int, channels: int) -> None:
        super().__init__()
        self.proj = nn.Linear(time_dim, 2 * channels)
        zero_init(self.proj)

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        gamma, beta = self.proj(emb).to(x.dtype).chunk(2, dim=-1)
        return x * (1 + gamma[..., None, None]) + beta[..., None, None]


class ConvStack(nn.Module):
    """conv-PReLU-conv-PReLU with FiLM after the first layer."""

    def __init__(self, c_in: int, c_hidden: int, time_dim: int) -> None:
        super().__init__()
        self.conv1 = conv3x3(c_in, c_hidden)
        self.act1 = nn.PReLU(c_hidden)
        self.film = FiLM(time_dim, c_hidden)
        self.conv2 = conv3x3(c_hidden, c_hidden)
        self.act2 = nn.PReLU(c_hidden)

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        x = self.film(self.act1(self.conv1(x)), emb)
        return self.act2(self.conv2(x))
