"""Differentiable augmentation of the discriminator's inputs (Zhao, Liu, Lin, Zhu and Han 2020,
"Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS, arXiv 2006.10738).

With a thousand images per domain a discriminator can memorise the real set: its loss falls towards zero
and the generator gets worse with more steps. DiffAugment shows D only randomly transformed images, real
and fake alike, in D's update *and* in G's (the transforms are differentiable, so G's gradient passes
through them); G itself still learns to make untransformed images. The paper's transforms, on images in
[-1, 1]:

* ``translation``: shift by up to 1/8 of the side in each axis (whole pixels, zero fill: mid-grey);
* ``cutout``: zero a square of half the side at a random place (it may hang over the border);
* ``color``: brightness +U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5) about the mean.

For translation between domains that differ in colour (apples to oranges) leave ``color`` out: it teaches
D to ignore exactly what G must change. Every draw is per image, on the images' device, from torch's global
RNG (so a resumed run repeats it); no host synchronisation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from i2i.train.recipe_configs import DIFFAUG_TRANSFORMS

__all__ = ["POLICIES", "diff_augment"]

TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _uniform(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """(N, 1, 1, 1) draws from U(low, high) in x's dtype and device."""
    return torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) * (high - low) + low


def color(x: torch.Tensor) -> torch.Tensor:
    """Random brightness, saturation and contrast per image; x (N, C, H, W) in [-1, 1], not clamped."""
    x = x + _uniform(x, -0.5, 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * _uniform(x, 0.0, 2.0) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _uniform(x, 0.5, 1.5) + mean


def translation(x: torch.Tensor, ratio: float = TRANSLATION_RATIO) -> torch.Tensor:
    """Shift each image by whole pixels in [-ratio * side, ratio * side] per axis; zeros come in."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (n, 1), device=x.device)
    dx = torch.randint(-sw, sw + 1, (n, 1), device=x.device)
    # Output pixel (i, j) reads the padded image at (i + sh - dy, j + sw - dx).
    rows = torch.arange(h, device=x.device)[None, :] + sh - dy  # (N, H)
    cols = torch.arange(w, device=x.device)[None, :] + sw - dx  # (N, W)
    padded = torch.nn.functional.pad(x, (sw, sw, sh, sh))
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    """Zero one (ratio * H, ratio * W) rectangle per image, centred anywhere in the image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (n, 1, 1), device=x.device) - ch // 2
    left = torch.randint(0, w, (n, 1, 1), device=x.device) - cw // 2
    ys = torch.arange(h, device=x.device)[None, :, None]
    xs = torch.arange(w, device=x.device)[None, None, :]
    inside = (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)  # (N, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "color": color,
    "translation": translation,
    "cutout": cutout,
}
if tuple(POLICIES) != DIFFAUG_TRANSFORMS:  # the config names them in the order they are applied
    raise ImportError(f"DiffAugment transforms {tuple(POLICIES)} differ from {DIFFAUG_TRANSFORMS}")


def diff_augment(x: torch.Tensor, policy: Sequence[str]) -> torch.Tensor:
    """x (N, C, H, W) with the transforms of ``policy`` applied in the paper's order (color, translation,
    cutout), each drawn anew per image; x itself when ``policy`` is empty."""
    for name in POLICIES:
        if name in policy:
            x = POLICIES[name](x)
    return x
