"""Long temporal context (LIFT): attention across anchors at every coarse position."""

from __future__ import annotations

from torch import Tensor, nn

from tempo_cli.model.blocks import zero_init


class TemporalTransformer(nn.Module):
    """Pre-norm transformer over the N anchor tokens of each 1/8-scale position.

    Tokens carry their anchor's time (relative to the anchor set, not the
    target), so the result can be computed once per anchor set. With two
    anchors the model skips it: linear motion is all two frames can tell.
    """

    def __init__(self, channels: int, time_dim: int, layers: int, heads: int) -> None:
        super().__init__()
        self.time_proj = nn.Linear(time_dim, channels)
        layer = nn.TransformerEncoderLayer(
            d_model=channels,
            nhead=heads,
            dim_feedforward=2 * channels,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.layers = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.out = nn.Linear(channels, channels)
        zero_init(self.out)

    def forward(self, feats: Tensor, time_emb: Tensor) -> Tensor:
        """feats [B,N,C,H,W], time_emb [B,N,D] -> feats with temporal context added."""
        b, n, c, h, w = feats.shape
        tokens = feats.permute(0, 3, 4, 1, 2).reshape(b * h * w, n, c).float()
        pos = self.time_proj(time_emb.float())
        pos = pos[:, None, None].expand(b, h, w, n, c).reshape(b * h * w, n, c)
        mixed = self.out(self.layers(tokens + pos))
        mixed = mixed.reshape(b, h, w, n, c).permute(0, 3, 4, 1, 2)
        return feats + mixed.to(feats.dtype)
