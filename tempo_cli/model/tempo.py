"""TEMPO: N anchors at arbitrary times -> a frame at any target time."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tempo_cli.model.agreement import confidence, disagreement, outside_share
from tempo_cli.model.blocks import ConvStack, cat_channels, conv3x3, zero_init
from tempo_cli.model.config import TempoConfig
from tempo_cli.model.correlation import local_correlation
from tempo_cli.model.cut_detector import CutDetector
from tempo_cli.model.encoder import Encoder
from tempo_cli.model.fft_block import FFTBlock
from tempo_cli.model.fusion import Fusion
from tempo_cli.model.motion_prior import (
    ACCEL_NOISE_PX,
    MAX_CANDIDATES,
    bend,
    dis_velocity,
    pair_accelerations,
    shrink_noise,
    to_target_grid,
)
from tempo_cli.model.pyramid_attention import AttentionLevel, HypothesisRefinement, aggregate, attention_weights
from tempo_cli.model.reduce import vector_length
from tempo_cli.model.still import StillPicture, refine_to_full_size, still_gate, still_picture
from tempo_cli.model.temporal_transformer import TemporalTransformer
from tempo_cli.model.time_encoding import TimeEncoding
from tempo_cli.model.warp import area_shrink, backward_warp, read_grid, resize_flow, sample_at, sampling_grid
from tempo_cli.motion.dis import PRESETS as DIS_PRESETS

PAD_MULTIPLE = 8
# Initial weight of the anchors' disagreement in the hypotheses' logits: a box-mean difference of
# 0.01 (2.5 levels of 255) between the anchors where a hypothesis points costs it a factor e.
AGREEMENT_SCALE = 200.0


@dataclass
class Encoded:
    """Encoder output for N frames of B items: padded images and per-scale features [B,N,C,h,w].

    When the network works at a reduced scale, `images` and `size` are the reduced
    frames and `full` holds the frames at their own resolution for the output.
    """

    images: Tensor
    feats: list[Tensor]
    size: tuple[int, int]
    full: Tensor | None = None

    @staticmethod
    def stack(items: list[Encoded]) -> Encoded:
        """Join encodings along the anchor axis (N)."""
        return Encoded(
            images=torch.cat([e.images for e in items], dim=1),
            feats=[torch.cat(level, dim=1) for level in zip(*(e.feats for e in items), strict=True)],
            size=items[0].size,
            full=None if items[0].full is None else torch.cat([e.full for e in items if e.full is not None], dim=1),
        )


@dataclass
class AnchorSet:
    """Everything about a set of anchors that does not depend on the target time."""

    images: Tensor
    feats: list[Tensor]
    times: Tensor
    velocity: Tensor
    prior: Tensor | None
    cut_logit: Tensor
    size: tuple[int, int]
    full: Tensor | None = None
    accel: Tensor | None = None
    still: StillPicture | None = None

    def expand(self, batch: int) -> AnchorSet:
        """Repeat a single anchor set for `batch` target times (views, no copies)."""
        if self.times.shape[0] == batch:
            return self

        def rep(t: Tensor) -> Tensor:
            return t.expand(batch, *t.shape[1:])

        return AnchorSet(
            rep(self.images),
            [rep(f) for f in self.feats],
            rep(self.times),
            rep(self.velocity),
            None if self.prior is None else rep(self.prior),
            rep(self.cut_logit),
            self.size,
            None if self.full is None else rep(self.full),
            None if self.accel is None else rep(self.accel),
            self.still,  # batch 1: it broadcasts over the targets
        )


# How far apart (px) a pair's one-way flows F01 and -F10 may lie where the cut detector compares the anchors aligned.
CUT_ALIGN_PX = 1.0


def _pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    lead = x.shape[:-3]
    flat = F.pad(x.reshape(-1, *x.shape[-3:]), (0, pw, 0, ph), mode="replicate")
    return flat.reshape(*lead, *flat.shape[-3:])


def _per_hypothesis(offsets: Tensor | float) -> Tensor | float:
    """[B,N,2,h,w] -> [B,N,1,2,h,w], broadcasting over the hypotheses (a float stays as it is)."""
    return offsets[:, :, None] if isinstance(offsets, Tensor) else offsets


def _pick_pair(per_pair: Tensor, pair: Tensor) -> Tensor:
    """per_pair [B,P,...] at index pair [B,1] -> [B,1,...]."""
    return per_pair[torch.arange(per_pair.shape[0], device=per_pair.device), pair[:, 0]][:, None]


def _read(images: Tensor, offsets: Tensor, mode: str, bicubic_share: Tensor | None) -> Tensor:
    """`sample_at` of images [B,C,H,W] at offsets [B,M,2,H,W] -> [B,M,C,H,W] (fp32): by `mode`, or, given
    `bicubic_share` [B,1,H,W] in [0,1], bilinear and bicubic reads mixed by that share per pixel."""
    if bicubic_share is None:
        return sample_at(images, offsets, mode).float()
    grid = sampling_grid(images, offsets)  # built once for both reads
    soft = read_grid(images, grid, "bilinear").float()
    return soft.lerp_(read_grid(images, grid, "bicubic").float(), bicubic_share[:, None])


def _sample_anchors(images: Tensor, positions: Tensor, mode: str, bicubic_share: Tensor | None) -> Tensor:
    """Each anchor [B,N,3,H,W] sampled at its M positions [B,N,M,2,H,W] -> [B,N,M,3,H,W] (fp32), as `_read`."""
    b, n, m = positions.shape[:3]
    share = None if bicubic_share is None else bicubic_share.repeat_interleave(n, dim=0)
    samples = _read(images.flatten(0, 1), positions.flatten(0, 1), mode, share)
    return samples.view(b, n, m, 3, *positions.shape[-2:])


def _blend_full_size(
    images: Tensor,
    positions: Tensor,
    within: Tensor,
    per_anchor: Tensor,
    size: tuple[int, int],
    mode: str,
    bicubic_share: Tensor | None,
) -> Tensor:
    """The blend of full-size anchors [B,N,3,H,W] from what the network found at its working size.

    Each anchor moves by the weighted mean of its K positions (the points spread by a
    fraction of a working pixel), upsampled like a flow field; anchor weights are upsampled too. Images are
    read as `_read` reads them, a `bicubic_share` upsampled to full size.
    """
    h, w = size
    b, n = within.shape[:2]
    full = (int(images.shape[-2]), int(images.shape[-1]))
    flow = (within[:, :, :, None] * positions).sum(dim=2)[..., :h, :w]
    flow = resize_flow(flow, full)
    share = None
    if bicubic_share is not None:
        share = F.interpolate(bicubic_share[..., :h, :w], size=full, mode="bilinear", align_corners=False)
        share = share.repeat_interleave(n, dim=0)
    warped = _read(images.flatten(0, 1), flow.flatten(0, 1)[:, None], mode, share)[:, 0].view(b, n, 3, *full)
    weight = F.interpolate(per_anchor[..., :h, :w], size=full, mode="bilinear", align_corners=False)
    return (warped * weight[:, :, None]).sum(dim=1)


def _share_head(state_ch: int) -> nn.Conv2d:
    """The "mixed" sampling's head: the logit of a share of bicubic reads from the decoder state. It starts at an
    even mix everywhere (logit 0), where the share learns fastest."""
    head = conv3x3(state_ch, 1)
    zero_init(head)
    return head


def _aligned_pairs(images: Tensor, prior: Tensor | None) -> Tensor | None:
    """Each consecutive pair's later anchor [B,N,3,H,W] moved onto the earlier one by the pair's symmetric velocity,
    the prior's first candidate [B,N-1,C,2,H,W], where its one-way flows F01 and -F10 agree within CUT_ALIGN_PX:
    [B,N-1,3,H,W]. Between unrelated pictures (a cut) they do not, and the later anchor stays as it is. None without
    both one-way flows (no prior, or fewer than 3 candidates): DIS's velocity alone makes a cut look alike."""
    if prior is None or prior.shape[2] < 3:
        return None
    later = images[:, 1:].flatten(0, 1)
    flows = prior.flatten(0, 1).to(later.dtype)
    agree = vector_length(flows[:, 1] - flows[:, 2], 1) < CUT_ALIGN_PX
    moved = torch.where(agree, backward_warp(later, flows[:, 0]), later)
    return moved.view(images.shape[0], -1, *moved.shape[1:])


def _gather_anchors(x: Tensor, order: Tensor | None) -> Tensor:
    """Reorder dim 1 of x [B,N,...] by order [B,N]; None: already in order, x itself."""
    if order is None:
        return x
    idx = order.view(*order.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return torch.gather(x, 1, idx)


class Tempo(nn.Module):
    """The TEMPO network; see ../shared/design/ARCHITECTURE.md section 2."""

    MOTION_HEADS = ("motion_head.", "level8.head.", "level4.head.", "level2.head.")

    def __init__(self, config: TempoConfig) -> None:
        super().__init__()
        self.config = config
        w = config.widths
        td = config.time_dim
        m = config.heads * config.points
        for width in (w[1], w[2], w[3]):
            if width % config.heads:
                raise ValueError(f"width {width} is not divisible by heads={config.heads}")
        self.encoder = Encoder(config.widths, config.depths)
        self.time_encoding = TimeEncoding(config.time_bands, td)
        self.transformer = TemporalTransformer(w[3], td, config.transformer_layers, config.transformer_heads)
        corr_ch = (2 * config.corr_radius + 1) ** 2
        self.motion_stack = ConvStack(2 * w[3] + corr_ch + 2, config.refine_width, td)
        self.motion_head = nn.Conv2d(config.refine_width, 2, 3, padding=1)
        zero_init(self.motion_head)
        self.cut_detector = CutDetector()
        per_interval = config.offsets_per_interval
        self.level8 = AttentionLevel(w[3], 0, config.refine_width, td, config.heads, config.points, per_interval)
        self.state8 = ConvStack(2 * w[3], w[3], td)
        self.fft = nn.ModuleList([FFTBlock(w[3]) for _ in range(config.fft_blocks)])
        self.to_level4 = nn.Conv2d(w[3], w[2], 1)
        self.level4 = AttentionLevel(w[2], w[2], w[2], td, config.heads, config.points, per_interval)
        self.state4 = ConvStack(2 * w[2], w[2], td)
        self.state2 = ConvStack(w[2] + w[1], w[1], td)
        self.level2 = (
            HypothesisRefinement(w[1], w[1], config.level2_width, td, m, per_interval)
            if config.level2_width > 0
            else None
        )
        self.fusion = Fusion(w[1], config.fusion_width, td)
        self.sharpness = _share_head(w[1]) if config.image_sampling == "mixed" else None
        self.hypotheses = m
        candidates = config.prior_candidates if config.motion_prior else 1
        if not 1 <= candidates <= MAX_CANDIDATES:
            raise ValueError(f"prior_candidates must be 1 to {MAX_CANDIDATES}, not {candidates}")
        # The prior candidate each hypothesis starts from; None when hypothesis i takes candidate i.
        self.hypothesis_candidate = None if m == candidates else [i % candidates for i in range(m)]
        if config.prior_dis not in DIS_PRESETS:
            raise ValueError(f"prior_dis must be one of {', '.join(DIS_PRESETS)}, not {config.prior_dis!r}")
        if config.consistency_window % 2 == 0:
            raise ValueError(f"consistency_window must be odd, not {config.consistency_window}")
        self.agreement_log_scale = nn.Parameter(torch.tensor(math.log(AGREEMENT_SCALE)))

    # ---- stage 1: per-frame encoding -------------------------------------------------
    def encode(self, frames: Tensor, scale: float = 1.0) -> Encoded:
        """frames [B,N,3,H,W] in [0,1] -> features per scale; independent of any time.

        With `scale` < 1 the network sees the frames resized by that factor (area
        average) and its motion and weights are applied to the full frames at the end.
        """
        b, n = frames.shape[:2]
        full = None
        if scale != 1.0:
            full = frames
            h, w = frames.shape[-2:]
            small = (max(1, round(h * scale)), max(1, round(w * scale)))
            frames = area_shrink(frames.flatten(0, 1), small).view(b, n, 3, *small)
        size = (frames.shape[-2], frames.shape[-1])
        images = _pad_to_multiple(frames, PAD_MULTIPLE)
        feats = self.encoder(images.flatten(0, 1))
        return Encoded(images, [f.view(b, n, *f.shape[1:]) for f in feats], size, full)

    # ---- stage 2: per-anchor-set context ------------------------------------------
    def pair_prior(self, first: Tensor, second: Tensor) -> Tensor:
        """The DIS prior of anchor pairs: images [B,3,H,W] (padded, as `Encoded.images`) -> candidates [B,C,2,H,W].

        Each candidate is shrunk toward zero where it is below `prior_noise_px` (`shrink_noise`).
        """
        candidates = dis_velocity(first, second, self.config.prior_candidates, self.config.prior_dis)
        return shrink_noise(candidates, self.config.prior_noise_px)

    def bind(self, encoded: Encoded, anchor_times: Tensor, prior: Tensor | None = None) -> AnchorSet:
        """Sort anchors by time, add temporal context, estimate coarse motion and the cut score.

        `prior` [B,N-1,C,2,H,W] is each consecutive pair's `pair_prior` with the anchors in time order, for a caller
        that keeps them between anchor sets; None computes them here. Without the motion prior it is ignored.
        """
        times, sort_order = torch.sort(anchor_times.float(), dim=1, stable=True)
        in_order = bool((sort_order == torch.arange(sort_order.shape[1], device=sort_order.device)).all())
        order = None if in_order else sort_order
        if prior is not None and (order is not None or prior.shape[:2] != (times.shape[0], times.shape[1] - 1)):
            raise ValueError("a given prior needs the anchors in time order, one prior per consecutive pair")
        if prior is not None and prior.shape[-2:] != encoded.images.shape[-2:]:
            raise ValueError("a given prior needs the size of the encoded (padded) images")
        images = _gather_anchors(encoded.images, order)
        feats = [_gather_anchors(f, order) for f in encoded.feats]
        n = times.shape[1]
        if n < 2:
            raise ValueError("TEMPO needs at least two anchors")
        spacing = ((times[:, -1] - times[:, 0]) / (n - 1)).clamp_min(1e-6)
        coarse = feats[3]
        if n > 2:
            rel = (times - times.mean(dim=1, keepdim=True)) / spacing[:, None]
            coarse = self.transformer(coarse, self.time_encoding(rel))
            feats = [*feats[:3], coarse]
        if not self.config.motion_prior:
            prior = None
        elif prior is None:
            flat = self.pair_prior(images[:, :-1].flatten(0, 1), images[:, 1:].flatten(0, 1))
            prior = flat.view(images.shape[0], n - 1, *flat.shape[1:])
        velocity = self._pair_velocity(coarse, prior)
        accel = None
        if prior is not None and n > 2 and self.config.prior_curvature:
            grid = (coarse.shape[-2], coarse.shape[-1])
            noise = ACCEL_NOISE_PX * grid[-1] / images.shape[-1]
            accel = shrink_noise(resize_flow(pair_accelerations(prior, times), grid), noise)
        cut_logit = self.cut_detector(feats[3], images, _aligned_pairs(images, prior))
        full = None if encoded.full is None else _gather_anchors(encoded.full, order)
        still = still_picture(images, encoded.size, full) if self.config.keep_still else None
        return AnchorSet(images, feats, times, velocity, prior, cut_logit, encoded.size, full, accel, still)

    def _pair_velocity(self, coarse: Tensor, prior: Tensor | None) -> Tensor:
        """Velocity per consecutive anchor pair at 1/8 scale: [B,N-1,2,h,w] in 1/8-scale pixels.

        prior [B,N-1,C,2,H,W]: its first candidate seeds the estimate.
        """
        b, n, _, h, w = coarse.shape
        first, second = coarse[:, :-1].flatten(0, 1), coarse[:, 1:].flatten(0, 1)
        if prior is None:
            seed = torch.zeros(first.shape[0], 2, h, w, device=coarse.device)
        else:
            seed = resize_flow(prior[:, :, 0].flatten(0, 1), (h, w))
        corr = local_correlation(first, second, self.config.corr_radius).to(first.dtype)
        x = torch.cat([first, second, corr, seed.to(first.dtype)], dim=1)
        zero_emb = torch.zeros(x.shape[0], self.config.time_dim, device=x.device)
        delta = self.motion_head(self.motion_stack(x, zero_emb)).float()
        return (seed + delta).view(b, n - 1, 2, h, w)

    # ---- stage 3: per-target synthesis --------------------------------------------
    def synthesize(
        self, aset: AnchorSet, target_time: Tensor, keep_hypotheses: bool = False
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Frame at each target time [T] from a bound anchor set (batch B = T, or 1 expanded).

        With `keep_hypotheses`, aux also holds each hypothesis's offsets to each anchor, [B,N,M,2,h,w] under
        "positions", and what each anchor shows there, [B,N,M,3,h,w] under "samples", at the working size (for
        `training.losses.distillation` and `benchmarks.headroom`; inference leaves them out, so that they are not
        held while the next targets are made).
        """
        aset = aset.expand(target_time.shape[0])
        times, feats, images = aset.times, aset.feats, aset.images
        b, n = times.shape
        t = target_time.float().view(b, 1)
        pair = (torch.searchsorted(times.contiguous(), t, right=True) - 1).clamp(0, n - 2)
        t0 = torch.gather(times, 1, pair)
        t1 = torch.gather(times, 1, pair + 1)
        interval = (t1 - t0).clamp_min(1e-6)
        tau = ((t - t0) / interval)[:, 0]
        dt = (times - t) / interval
        temb = self.time_encoding(dt)
        target_emb = temb.mean(dim=1)
        vel = _pick_pair(aset.velocity, pair)
        offsets = dt[..., None, None, None] * vel
        prior = None if aset.prior is None else _pick_pair(aset.prior, pair)
        accel = None if aset.accel is None else _pick_pair(aset.accel, pair)[:, 0]

        resized: dict[tuple[int, int], Tensor] = {}

        def candidates_at(size: tuple[int, int] | torch.Size) -> Tensor:
            """The prior's candidate velocities at `size` on the target's grid (once per size): [B,1,C,2,h,w]."""
            key = (int(size[0]), int(size[1]))
            if key not in resized:
                assert prior is not None
                at_size = resize_flow(prior, key)
                if self.config.prior_to_target:
                    at_size = to_target_grid(at_size[:, 0], tau)[:, None]
                resized[key] = at_size
            return resized[key]

        def prior_at(size: tuple[int, int] | torch.Size) -> Tensor | float:
            """Backward offsets to each anchor from the prior's first candidate, at `size`: [B,N,2,h,w].

            What the network learns is carried between scales as a residual over
            this, so with untrained heads every scale is exactly the prior.
            """
            if prior is None:
                return 0.0
            return dt[..., None, None, None] * candidates_at(size)[:, :, 0]

        def curvature_at(size: tuple[int, int] | torch.Size) -> Tensor:
            """What the pair's acceleration adds to each anchor's offset at `size`: [B,N,2,h,w]."""
            assert accel is not None
            return bend(dt, tau)[..., None, None, None] * resize_flow(accel, (int(size[0]), int(size[1])))[:, None]

        def hypotheses_at(size: tuple[int, int] | torch.Size) -> Tensor | float:
            """Backward offsets per hypothesis, each from its own prior candidate: [B,N,M,2,h,w].

            With 3 or more anchors the first hypothesis follows a path of constant acceleration (`bend`), the
            others a straight one: where the motion curves, the anchors agree on the first; where the estimate
            of the acceleration is noise, on the others.
            """
            if prior is None:
                return 0.0
            candidates = candidates_at(size)
            if self.hypothesis_candidate is not None:
                candidates = candidates[:, :, self.hypothesis_candidate]
            offsets = dt[..., None, None, None, None] * candidates
            if accel is not None:
                offsets[:, :, 0] += curvature_at(size)
            return offsets

        f8, f4, f2 = feats[3], feats[2], feats[1]
        offsets, pos8, logits8 = self.level8(f8, offsets, None, temb, dt)
        heads = self.config.heads
        a8 = aggregate(f8, pos8, attention_weights(logits8), heads)
        state = self.state8(torch.cat([a8, f8.mean(dim=1)], dim=1), target_emb)
        for block in self.fft:
            state = block(state)

        size4 = (f4.shape[-2], f4.shape[-1])
        offsets = resize_flow(offsets - prior_at(f8.shape[-2:]), size4) + prior_at(size4)
        state = F.interpolate(self.to_level4(state), size=size4, mode="bilinear", align_corners=False)
        offsets, pos4, logits4 = self.level4(f4, offsets, state, temb, dt)
        residual4 = pos4 - _per_hypothesis(prior_at(size4))
        pos4 = residual4 + hypotheses_at(size4)
        a4 = aggregate(f4, pos4, attention_weights(logits4), heads)
        state = self.state4(cat_channels([state, a4], like=state), target_emb)

        size2 = f2.shape[-2:]
        residual2, logits2 = self._upsample_hypotheses(residual4, logits4, size2)
        pos2 = residual2 + hypotheses_at(size2)
        a2 = aggregate(f2, pos2, attention_weights(logits2), heads)
        state = F.interpolate(state, size=size2, mode="bilinear", align_corners=False)
        state = self.state2(cat_channels([state, a2], like=state), target_emb)
        if self.level2 is not None:
            moves, logit_change = self.level2(f2, pos2, logits2, state, temb, dt)
            residual2, logits2 = residual2 + moves, logits2 + logit_change

        full = images.shape[-2:]
        residual1, logits1 = self._upsample_hypotheses(residual2, logits2, full)
        pos1 = residual1 + hypotheses_at(full)
        bicubic_share = self._bicubic_share(state, full, tau)
        samples = _sample_anchors(images, pos1, self._plain_read, bicubic_share)
        hypothesis_spread = disagreement(samples, self.config.consistency_window)[:, None]
        logits1 = logits1 - self.agreement_log_scale.exp() * hypothesis_spread
        within = torch.softmax(logits1, dim=2)
        warped = (samples * within[:, :, :, None]).sum(dim=2)
        per_anchor = torch.softmax(torch.logsumexp(logits1, dim=2), dim=1)
        blend = (warped * per_anchor[:, :, None]).sum(dim=1)
        spread = (per_anchor[:, :, None] * (warped - blend[:, None]).abs()).sum(dim=1)
        residual = self.fusion.residual(blend, spread, state, target_emb)

        h, w = aset.size
        weights = (within * per_anchor[:, :, None])[..., :h, :w]
        flat_w = weights.flatten(1, 2)
        outside = outside_share(weights, pos1, (h, w))
        conf_map = confidence(warped, outside, (h, w))
        entropy = -(flat_w * flat_w.clamp_min(1e-8).log()).sum(dim=1, keepdim=True)
        residual = residual[..., :h, :w]
        if aset.full is None:
            blend = blend[..., :h, :w]
        else:
            images = aset.full
            h, w = images.shape[-2:]
            blend = _blend_full_size(images, pos1, within, per_anchor, aset.size, self._plain_read, bicubic_share)
            residual, conf_map, entropy = (
                F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
                for x in (residual, conf_map, entropy)
            )
        pred = blend + residual
        if aset.still is not None:
            pred, kept = self._keep_still(
                pred, images, aset.still, hypothesis_spread[:, 0], weights, outside, per_anchor
            )
            conf_map = torch.maximum(conf_map, kept)  # kept pixels are the anchors' own
        cut_score = torch.sigmoid(aset.cut_logit.float())
        fallback = cut_score > self.config.cut_threshold
        if bool(fallback.any()):
            nearest = dt.abs().argmin(dim=1)
            nearest_img = images[torch.arange(b), nearest][..., :h, :w].float()
            pred = torch.where(fallback.view(b, 1, 1, 1), nearest_img, pred)
        aux = {
            "weights": weights.sum(dim=2).mean(dim=(-2, -1)),
            "conf_map": conf_map,
            "attn_entropy": entropy,
            "cut_score": cut_score,
            "cut_logit": aset.cut_logit.float(),
            "fallback_mask": fallback,
            "blend": blend,
        }
        if keep_hypotheses:
            aux["positions"] = pos1[..., : aset.size[0], : aset.size[1]]
            aux["samples"] = samples[..., : aset.size[0], : aset.size[1]]
        return pred, aux

    def _keep_still(
        self,
        pred: Tensor,
        images: Tensor,
        picture: StillPicture,
        spread: Tensor,
        weights: Tensor,
        outside: Tensor,
        per_anchor: Tensor,
    ) -> tuple[Tensor, Tensor]:
        """`pred` with still overlays (`still.still_gate`, from the anchor set's `picture`) taken from the anchors
        `images` as the output's size has them, each anchor weighted as the attention weighs it (no gradient flows
        through kept pixels), and where [B,1,H,W]."""
        gate = still_gate(picture, spread, weights, outside, self.config.consistency_window)
        working = picture.spread.shape[-2:]
        anchor_weight = per_anchor[..., : working[0], : working[1]].detach()
        h, w = pred.shape[-2:]
        if picture.full_still is not None:
            gate = refine_to_full_size(gate, picture.full_still)
            anchor_weight = F.interpolate(anchor_weight, size=(h, w), mode="bilinear", align_corners=False)
        still = (images[..., :h, :w].float() * anchor_weight[:, :, None]).sum(dim=1)
        return torch.lerp(pred, still, gate), gate

    @property
    def _plain_read(self) -> str:
        """grid_sample's mode for reads without a bicubic share: "mixed" reads by bilinear where it adds none."""
        return "bilinear" if self.sharpness is not None else self.config.image_sampling

    def _bicubic_share(self, state: Tensor, size: tuple[int, int] | torch.Size, tau: Tensor) -> Tensor | None:
        """With "mixed" image sampling, the share of bicubic reads per pixel at `size` from the decoder state at 1/2,
        for targets between their pair of anchors (`tau` [B] in [0, 1]); past the anchors, none: [B,1,H,W] in [0,1].
        None without mixed sampling, and in inference where no target lies between anchors: no bicubic read is made
        then (training keeps the share's zero gradient, so its optimizer steps stay as they were)."""
        if self.sharpness is None:
            return None
        between = (tau >= 0) & (tau <= 1)
        if not self.training and not bool(between.any()):
            return None
        logits = F.interpolate(self.sharpness(state).float(), size=tuple(size), mode="bilinear", align_corners=False)
        return torch.sigmoid(logits) * between.to(logits.dtype).view(-1, 1, 1, 1)

    @staticmethod
    def _upsample_hypotheses(
        positions: Tensor, logits: Tensor, size: tuple[int, int] | torch.Size
    ) -> tuple[Tensor, Tensor]:
        b, n, m = logits.shape[:3]
        pos = resize_flow(positions, (int(size[0]), int(size[1])))
        lg = F.interpolate(logits.flatten(1, 2), size=tuple(size), mode="bilinear", align_corners=False)
        return pos, lg.view(b, n, m, *lg.shape[-2:])

    def for_inference(self, device: torch.device | str = "cpu") -> Tempo:
        """This model on `device`, in eval mode, its convolution weights channels-last.

        Channels-last lets oneDNN run the narrow convolutions without reordering
        (about 40% faster on CPU); the outputs are the same up to float rounding.
        """
        laid_out = self.to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # stubs omit it
        return laid_out.eval()

    def forward(
        self, frames: Tensor, anchor_times: Tensor, target_time: Tensor, keep_hypotheses: bool = False
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """frames [B,N,3,H,W] in [0,1], anchor_times [B,N], target_time [B] -> (pred [B,3,H,W], aux).

        `keep_hypotheses` as in `synthesize`.
        """
        return self.synthesize(self.bind(self.encode(frames), anchor_times), target_time, keep_hypotheses)
