"""Paired-image metrics against the ground truth (pix2pix's evaluation): L1, PSNR, SSIM. Pure torch, no state.

All functions take two batches ``x`` and ``y`` of shape (N, C, H, W) (or (C, H, W), treated as N = 1) with
values in ``[0, data_range]`` - convert [-1, 1] network outputs with ``(t + 1) / 2`` first and pass
``data_range=1.0``. They return one value per image (a float tensor of shape (N,)) or, with
``reduction="mean"``, the mean over the batch as a Python float.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

Reduction = Literal["mean", "none"]

PSNR_CAP_DB = 100.0
"""PSNR of identical images (zero error) is reported as this value instead of infinity, so that means and
JSON logs stay finite."""


def _batch(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    if x.shape != y.shape:
        raise ValueError(f"images differ in shape: {tuple(x.shape)} vs {tuple(y.shape)}")
    if x.dim() == 3:
        x, y = x.unsqueeze(0), y.unsqueeze(0)
    if x.dim() != 4:
        raise ValueError(f"expected (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")
    return x.double(), y.double()


def _reduce(values: Tensor, reduction: Reduction) -> Tensor | float:
    if reduction == "none":
        return values.float()
    if reduction == "mean":
        return float(values.mean())
    raise ValueError(f"unknown reduction {reduction!r}; valid: mean, none")


def l1(x: Tensor, y: Tensor, reduction: Reduction = "mean") -> Tensor | float:
    """Mean absolute error per image, in the images' units."""
    x, y = _batch(x, y)
    return _reduce((x - y).abs().flatten(1).mean(1), reduction)


def psnr(x: Tensor, y: Tensor, data_range: float = 1.0, reduction: Reduction = "mean") -> Tensor | float:
    """Peak signal-to-noise ratio per image in dB: ``10 log10(data_range^2 / MSE)``, capped at
    :data:`PSNR_CAP_DB` (identical images give the cap)."""
    x, y = _batch(x, y)
    mse = (x - y).pow(2).flatten(1).mean(1)
    floor = data_range**2 * 10 ** (-PSNR_CAP_DB / 10)
    values = 10.0 * torch.log10(data_range**2 / mse.clamp_min(floor))
    return _reduce(values, reduction)


def _gaussian_taps(size: int, sigma: float, dtype: torch.dtype) -> Tensor:
    """The normalised 1-D Gaussian of ``size`` taps; SSIM's 2-D window is its outer product with itself."""
    coords = torch.arange(size, dtype=dtype) - (size - 1) / 2.0
    g = torch.exp(-(coords**2) / (2.0 * sigma**2))
    return g / g.sum()


def _weighted_shifts(t: Tensor, taps: Tensor, dim: int) -> Tensor:
    """``sum_k taps[k] * t[..., k : k + L - len(taps) + 1, ...]`` along ``dim``: a 'valid' 1-D correlation."""
    out_len = t.shape[dim] - len(taps) + 1
    out = t.narrow(dim, 0, out_len) * taps[0]
    for k in range(1, len(taps)):
        out.add_(t.narrow(dim, k, out_len), alpha=float(taps[k]))
    return out


def ssim(
    x: Tensor,
    y: Tensor,
    data_range: float = 1.0,
    reduction: Reduction = "mean",
    *,
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> Tensor | float:
    """Structural similarity (Wang et al. 2004) per image, averaged over channels and valid positions.

    Gaussian window 11x11, sigma 1.5, K1 = 0.01, K2 = 0.03 (the paper's constants); no padding, so the
    images must be at least ``window_size`` on each side (smaller images use a window as large as fits).
    Identical images give exactly 1.
    """
    x, y = _batch(x, y)
    channels = x.shape[1]
    size = min(window_size, x.shape[2], x.shape[3])
    taps = _gaussian_taps(size, sigma, x.dtype).to(x.device)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2

    # The window is separable: a vertical then a horizontal pass of ``size`` shifted, weighted sums over the
    # five maps at once (float64 depthwise convolutions are far slower on a CPU than these sums).
    maps = torch.cat([x, y, x * x, y * y, x * y], dim=1)
    blurred = _weighted_shifts(_weighted_shifts(maps, taps, dim=2), taps, dim=3)
    mu_x, mu_y, xx, yy, xy = blurred.split(channels, dim=1)
    var_x = xx - mu_x**2
    var_y = yy - mu_y**2
    cov = xy - mu_x * mu_y
    num = (2 * mu_x * mu_y + c1) * (2 * cov + c2)
    den = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    return _reduce((num / den).flatten(1).mean(1), reduction)
