"""Reconstruction losses for frame synthesis."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tempo_cli.evaluation.perceptual import lpips_distance
from tempo_cli.training.data.teacher import warp_error


@dataclass(frozen=True)
class LossWeights:
    """Weights of each term; a term with weight 0 is not computed.

    The census term is about 500 times the Charbonnier term at equal weight (it sums
    soft differences over a 7x7 neighbourhood); at 0.1 it was 96% of the loss and PSNR
    stalled (docs/training.md, session 2), so its weight keeps it below Charbonnier.
    """

    charbonnier: float = 1.0
    mse: float = 0.0  # mean squared error over the batch
    log_mse: float = 0.0  # mean over samples of log10 of each one's MSE: minus a tenth of the mean PSNR
    census: float = 0.001
    ssim: float = 0.2
    frequency: float = 0.01
    entropy: float = 0.0
    lpips: float = 0.0
    cut: float = 0.1
    distill: float = 0.0  # the hypotheses against the teacher's flow (`distillation`); needs batches' teacher_flow
    scales: int = 3

    def image_terms(self) -> dict[str, float]:
        """The weights of the terms that compare the prediction with the target frame."""
        others = ("entropy", "cut", "distill", "scales")
        return {name: value for name, value in vars(self).items() if name not in others}


# Keeps log10 finite for an exact prediction; an MSE of 1e-8 is 80 dB.
LOG_MSE_FLOOR = 1e-8


def charbonnier(pred: Tensor, target: Tensor, eps: float = 1e-3) -> Tensor:
    """Mean sqrt((p - t)^2 + eps^2)."""
    return torch.sqrt((pred - target) ** 2 + eps * eps).mean()


def multiscale_charbonnier(pred: Tensor, target: Tensor, scales: int) -> Tensor:
    """Charbonnier at full, 1/2, 1/4... resolution, averaged."""
    total = charbonnier(pred, target)
    for _ in range(1, scales):
        pred, target = F.avg_pool2d(pred, 2), F.avg_pool2d(target, 2)
        total = total + charbonnier(pred, target)
    return total / scales


def ssim(pred: Tensor, target: Tensor, window: int = 7) -> Tensor:
    """Mean SSIM with a uniform window, inputs in [0,1]."""
    c1, c2 = 0.01**2, 0.03**2
    pad = window // 2
    mu_p = F.avg_pool2d(pred, window, 1, pad, count_include_pad=False)
    mu_t = F.avg_pool2d(target, window, 1, pad, count_include_pad=False)
    var_p = F.avg_pool2d(pred * pred, window, 1, pad, count_include_pad=False) - mu_p**2
    var_t = F.avg_pool2d(target * target, window, 1, pad, count_include_pad=False) - mu_t**2
    cov = F.avg_pool2d(pred * target, window, 1, pad, count_include_pad=False) - mu_p * mu_t
    num = (2 * mu_p * mu_t + c1) * (2 * cov + c2)
    den = (mu_p**2 + mu_t**2 + c1) * (var_p + var_t + c2)
    return (num / den).mean()


def _census_transform(img: Tensor, patch: int = 7) -> Tensor:
    gray = img.mean(dim=1, keepdim=True) * 255
    eye = torch.eye(patch * patch, device=img.device, dtype=img.dtype).view(patch * patch, 1, patch, patch)
    neighbours = F.conv2d(gray, eye, padding=patch // 2)
    diff = neighbours - gray
    return diff / torch.sqrt(0.81 + diff * diff)


def census(pred: Tensor, target: Tensor) -> Tensor:
    """Ternary census loss (robust to brightness change), as in flow-based VFI training."""
    tp, tt = _census_transform(pred), _census_transform(target)
    dist = (tp - tt) ** 2
    dist = (dist / (0.1 + dist)).sum(dim=1, keepdim=True)
    return charbonnier(dist, torch.zeros_like(dist))


def frequency(pred: Tensor, target: Tensor) -> Tensor:
    """L1 between FFT amplitudes plus L1 between phases weighted by target amplitude."""
    fp = torch.fft.rfft2(pred.float(), norm="ortho")
    ft = torch.fft.rfft2(target.float(), norm="ortho")
    amp_loss = (fp.abs() - ft.abs()).abs().mean()
    phase = torch.angle(fp * ft.conj())
    phase_loss = (phase.abs() * ft.abs()).mean()
    return amp_loss + 0.1 * phase_loss


# How much better (mean absolute, 0-1) than the network's best hypothesis the teacher must explain the truth at a
# pixel for it to teach there: where both explain it (flat areas, where any motion does) the network stays free.
DISTILL_MARGIN = 0.01


def distillation(positions: Tensor, samples: Tensor, target: Tensor, teacher: tuple[Tensor, Tensor]) -> Tensor:
    """How far the network's motion lies from the teacher's, where the teacher explains the truth better.

    positions [B,N,M,2,H,W]: each hypothesis's offsets to each anchor, and samples [B,N,M,3,H,W] what the anchor
    shows there (the network's aux with `keep_hypotheses`); target [B,3,H,W];
    teacher: (flow [B,N,2,H,W], its `warp_error` [B,N,H,W]) from `training.data.teacher.teacher_flows`. As in
    RIFE's distillation, a pixel counts only where the teacher's error lies DISTILL_MARGIN below that of the best
    hypothesis. There only the hypothesis nearest the teacher is pulled (the others stay free to follow other
    motions), by log(1 + its distance in pixels), so that a teacher gone astray pulls little; mean over pixels.
    """
    flow, teacher_error = teacher
    with torch.no_grad():
        best = warp_error(samples, target).min(dim=2).values
        teaches = (best - teacher_error > DISTILL_MARGIN).float()
    gap = (positions.float() - flow[:, :, None]).square().sum(dim=3)
    nearest = torch.sqrt(gap.min(dim=2).values + 1e-4)
    return (teaches * torch.log1p(nearest)).mean()


def synthesis_loss(
    pred: Tensor,
    target: Tensor,
    aux: dict[str, Tensor],
    is_cut: Tensor,
    w: LossWeights,
    perceptual: nn.Module | None = None,
    teacher: tuple[Tensor, Tensor] | None = None,
) -> dict[str, Tensor]:
    """All weighted terms and their sum under 'total'; cut samples only train the cut detector.

    The LPIPS term needs `perceptual` (see tempo_cli.evaluation.perceptual); without it the term is skipped.
    The distillation term needs `teacher`, the batch's (teacher_flow, teacher_error), and the network's hypotheses in
    aux (`keep_hypotheses`).
    """
    keep = ~is_cut
    terms: dict[str, Tensor] = {}
    if keep.any():
        p, t = pred[keep].float(), target[keep].float()
        if w.charbonnier:
            terms["charbonnier"] = w.charbonnier * multiscale_charbonnier(p, t, w.scales)
        if w.mse:
            terms["mse"] = w.mse * F.mse_loss(p, t)
        if w.log_mse:
            terms["log_mse"] = w.log_mse * torch.log10(per_sample_mse(p, t) + LOG_MSE_FLOOR).mean()
        if w.census:
            terms["census"] = w.census * census(p, t)
        if w.ssim:
            terms["ssim"] = w.ssim * (1 - ssim(p.clamp(0, 1), t))
        if w.frequency:
            terms["frequency"] = w.frequency * frequency(p, t)
        if w.entropy:
            terms["entropy"] = w.entropy * aux["attn_entropy"][keep].mean()
        if w.lpips and perceptual is not None:
            terms["lpips"] = w.lpips * lpips_distance(perceptual, p, t).mean()
        if w.distill and teacher is not None:
            kept = (teacher[0][keep], teacher[1][keep])
            terms["distill"] = w.distill * distillation(aux["positions"][keep], aux["samples"][keep], t, kept)
    if w.cut:
        terms["cut"] = w.cut * F.binary_cross_entropy_with_logits(aux["cut_logit"], is_cut.float())
    terms["total"] = torch.stack(list(terms.values())).sum()
    return terms


def per_sample_mse(pred: Tensor, target: Tensor) -> Tensor:
    """Mean squared error of each item of a batch: [B]."""
    return ((pred - target) ** 2).flatten(1).mean(dim=1)


def psnr(pred: Tensor, target: Tensor) -> Tensor:
    """PSNR in dB per item for images in [0,1] (whole frame, RGB)."""
    return -10 * torch.log10(per_sample_mse(pred.clamp(0, 1), target).clamp_min(1e-10))
