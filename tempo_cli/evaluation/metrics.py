"""Whole-frame PSNR and SSIM on RGB arrays (H,W,3): float in [0,1], or uint8/uint16 over their full scale;
computed in float64.

Conventions follow the frame-interpolation papers' evaluation scripts:

- PSNR is 10*log10(1/MSE) with the MSE over all pixels and all three channels.
  Identical frames would give infinity; the value is capped at `PSNR_CAP` (100 dB)
  so that averages over a set stay finite. A second mean caps each frame at
  `SELECTION_CAP` (50 dB, where an error is far below what anyone sees), so that one
  nearly still frame at 60-70 dB cannot move it by tenths of a dB; training picks
  checkpoints by it. Reports give the plain mean.
- SSIM is Wang et al. (2004): an 11x11 Gaussian window with sigma 1.5, K1=0.01,
  K2=0.03 and a data range of 1, computed on each RGB channel separately
  (no grayscale or Y conversion, no downsampling) and averaged over the three
  channels. Only fully covered window positions count ("valid" filtering, as
  in the reference MATLAB code), so a 5-pixel border of the SSIM map is dropped.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

PSNR_CAP = 100.0
SELECTION_CAP = 50.0
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
_C1 = 0.01**2
_C2 = 0.03**2


def _unit_scale(frame: np.ndarray) -> np.ndarray:
    """`frame` in float64 on [0,1]: integers divided by their type's largest value; NaN or infinity refused."""
    if frame.dtype in (np.uint8, np.uint16):
        return frame.astype(np.float64) / np.iinfo(frame.dtype).max
    if not np.issubdtype(frame.dtype, np.floating):
        raise ValueError(f"expected float, uint8 or uint16 frames, got {frame.dtype}")
    if not np.isfinite(frame).all():
        raise ValueError("a frame holds NaN or infinite values")
    return frame.astype(np.float64)


def _pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[2] != 3:
        raise ValueError(f"expected two RGB frames (H,W,3) of the same shape, got {pred.shape} and {gt.shape}")
    return _unit_scale(pred), _unit_scale(gt)


def psnr(pred: np.ndarray, gt: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB (peak 1.0), capped at PSNR_CAP."""
    p, g = _pair(pred, gt)
    mse = float(np.mean((p - g) ** 2))
    if mse == 0.0:
        return PSNR_CAP
    return min(PSNR_CAP, -10.0 * math.log10(mse))


def _blur(x: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(x, (SSIM_WINDOW, SSIM_WINDOW), SSIM_SIGMA, sigmaY=SSIM_SIGMA)


def _ssim_channel(x: np.ndarray, y: np.ndarray) -> float:
    mu_x, mu_y = _blur(x), _blur(y)
    var_x = _blur(x * x) - mu_x * mu_x
    var_y = _blur(y * y) - mu_y * mu_y
    cov = _blur(x * y) - mu_x * mu_y
    num = (2 * mu_x * mu_y + _C1) * (2 * cov + _C2)
    den = (mu_x * mu_x + mu_y * mu_y + _C1) * (var_x + var_y + _C2)
    r = SSIM_WINDOW // 2
    return float(np.mean((num / den)[r:-r, r:-r]))


def ssim(pred: np.ndarray, gt: np.ndarray) -> float:
    """Structural similarity (Wang et al.), mean over the valid map of each RGB channel, then over channels."""
    p, g = _pair(pred, gt)
    if min(p.shape[:2]) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs frames of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels, got {p.shape[:2]}")
    channels = zip(np.moveaxis(p, -1, 0), np.moveaxis(g, -1, 0), strict=True)
    return float(np.mean([_ssim_channel(np.ascontiguousarray(x), np.ascontiguousarray(y)) for x, y in channels]))
