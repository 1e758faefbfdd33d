"""TEMPO model configuration."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

IMAGE_SAMPLING = ("bilinear", "bicubic", "mixed")


@dataclass(frozen=True)
class TempoConfig:
    """Every size and switch of a TEMPO network.

    Widths and depths are per encoder scale (1, 1/2, 1/4, 1/8). The pyramid
    attention refines motion at 1/8 and 1/4 and gathers features at 1/2; the image itself is sampled at
    full resolution with the upsampled offsets and weights; with `level2_width` > 0 a
    `HypothesisRefinement` of that width corrects every hypothesis at 1/2 first. With the DIS prior on,
    the hypotheses start from `prior_candidates` velocity estimates (1 to 4: the
    symmetric one, each one-way flow, then F01 of a coarser DIS), and
    at full resolution each is scored by how well the anchors agree where it points
    (a `consistency_window` box). With `prior_to_target` the one-way flows' vectors are moved
    from the anchor grid they belong to onto the target's grid (`motion_prior.to_target_grid`).
    `prior_dis` names the DIS settings of the first three candidates (`tempo_cli.motion.dis.PRESETS`).
    With `prior_curvature` and 3 or more anchors the first hypothesis follows a path of constant
    acceleration through consecutive pairs' velocities (`motion_prior.pair_accelerations`, `bend`).
    `prior_noise_px` shrinks every DIS candidate by |v|^2 / (|v|^2 + noise^2) per pixel (`motion_prior.shrink_noise`,
    in pixels of the frames the network works on): the fraction of a pixel that DIS finds between two nearly equal
    frames is mostly noise, and continued past the anchors it moves what stands still.
    With `keep_still`, still detail that the hypotheses do not explain (a caption over a moving scene) is taken
    from the anchors as it is (`still.still_gate`); it has no parameters, so weights trained without it load.
    `image_sampling` is how the anchors' pixels are read between pixel centres: grid_sample's "bilinear" or
    "bicubic" (no parameters either), or "mixed": between anchors both, with a share of bicubic learned per pixel
    from the decoder state (`Tempo.sharpness`; weights trained without it start at an even mix), and past the
    anchors bilinear alone (run 37 lost 0.04 dB one ahead with bicubic there, and nothing with bilinear).
    With `offsets_per_interval` the attention levels see each anchor's offset divided by max(|dt|, 1)
    (`pyramid_attention.shown_offsets`): two steps ahead an offset reads as one interval's motion, not twice it. It
    has no parameters and changes nothing when two anchors bracket the target (with 3 or 4, the outer ones lie
    more than an interval away and are seen per interval).
    """

    name: str = "tempo-s"
    widths: tuple[int, int, int, int] = (8, 16, 32, 80)
    depths: tuple[int, int, int, int] = (0, 0, 1, 2)
    time_bands: int = 10
    time_dim: int = 64
    heads: int = 2
    points: int = 2
    refine_width: int = 64
    level2_width: int = 0
    fusion_width: int = 16
    transformer_layers: int = 2
    transformer_heads: int = 4
    fft_blocks: int = 1
    corr_radius: int = 3
    motion_prior: bool = True
    prior_candidates: int = 4
    consistency_window: int = 9
    prior_to_target: bool = True
    prior_dis: str = "dense"
    prior_curvature: bool = True
    prior_noise_px: float = 0.3
    cut_threshold: float = 0.5
    keep_still: bool = True
    image_sampling: str = "bilinear"
    offsets_per_interval: bool = False

    def __post_init__(self) -> None:
        if self.image_sampling not in IMAGE_SAMPLING:
            raise ValueError(f"image_sampling must be one of {', '.join(IMAGE_SAMPLING)}, not {self.image_sampling!r}")

    def to_json(self) -> str:
        """Serialize for safetensors metadata."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TempoConfig:
        """Inverse of :meth:`to_json`; unknown keys are an error."""
        raw = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        for key in ("widths", "depths"):
            if key in raw:
                raw[key] = tuple(raw[key])
        return cls(**raw)
