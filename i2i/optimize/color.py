"""Colour preservation for style transfer (Gatys, Bethge, Hertzmann and Shechtman 2016, "Preserving
Color in Neural Artistic Style Transfer").

Two methods, on RGB tensors (3, H, W) in [0, 1]:

- **luminance**: keep the stylised image's luminance Y and take the content's chroma (Cb, Cr), in
  full-range YCbCr (JPEG / BT.601 coefficients). Applied after optimisation (jcjohnson's
  ``-original_colors 1``).
- **histogram**: before optimisation, give the style image the content's colour mean and covariance:
  ``x' = S_c^{1/2} S_s^{-1/2} (x - mu_s) + mu_c`` with symmetric matrix square roots (the "Image
  Analogies" linear colour transfer of the paper).
"""

from __future__ import annotations

import torch

_RGB_TO_YCBCR = torch.tensor(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=torch.float64
)
_OFFSET = torch.tensor([0.0, 0.5, 0.5], dtype=torch.float64)


def rgb_to_ycbcr(image: torch.Tensor) -> torch.Tensor:
    """(3, H, W) RGB in [0, 1] -> (3, H, W) Y, Cb, Cr, each in [0, 1] (chroma centred on 0.5)."""
    m = _RGB_TO_YCBCR.to(image.device, image.dtype)
    return torch.einsum("ij,jhw->ihw", m, image) + _OFFSET.to(image.device, image.dtype).view(3, 1, 1)


def ycbcr_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_ycbcr` (not clamped)."""
    inv = torch.linalg.inv(_RGB_TO_YCBCR).to(image.device, image.dtype)
    centred = image - _OFFSET.to(image.device, image.dtype).view(3, 1, 1)
    return torch.einsum("ij,jhw->ihw", inv, centred)


def transfer_luminance(stylised: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Stylised luminance with the content's chroma; both (3, H, W) in [0, 1]; result clamped to [0, 1]."""
    y = rgb_to_ycbcr(stylised)[:1]
    cbcr = rgb_to_ycbcr(content)[1:]
    return ycbcr_to_rgb(torch.cat([y, cbcr])).clamp(0, 1)


def _sqrt_psd(cov: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh(cov)
    vals = vals.clamp_min(1e-10)
    power = -0.5 if inverse else 0.5
    return vecs @ torch.diag(vals**power) @ vecs.T


def match_color(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``source`` (3, H, W) recoloured to have ``target``'s (3, H', W') RGB mean and covariance.

    Computed in float64; the result is clamped to [0, 1] (clamping may move the statistics slightly).
    """
    src = source.reshape(3, -1).double()
    tgt = target.reshape(3, -1).double()
    mu_s, mu_t = src.mean(1, keepdim=True), tgt.mean(1, keepdim=True)
    eye = 1e-10 * torch.eye(3, dtype=torch.float64, device=src.device)
    cov_s = torch.cov(src) + eye
    cov_t = torch.cov(tgt) + eye
    transform = _sqrt_psd(cov_t) @ _sqrt_psd(cov_s, inverse=True)
    out = transform @ (src - mu_s) + mu_t
    return out.reshape(source.shape).to(source.dtype).clamp(0, 1)
