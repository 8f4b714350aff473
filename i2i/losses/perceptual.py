"""Perceptual style losses (Gatys et al. 2016; Johnson et al. 2016) as pure functions.

Feature maps are (N, C, H, W) activations of a frozen network (see :mod:`i2i.features.vgg`, whose input
is RGB in [0, 1] with ImageNet normalisation inside; the loss scales below assume that).

- Gram matrix: ``G = F F^T / (C * H * W)`` with F the (C, H*W) reshaped features, per batch item.
- Content loss: ``mean((F - P)^2)`` at one layer.
- Style loss: ``sum_l w_l * mean((G_l(x) - A_l)^2)`` over the style layers (A_l: target Grams).
- Total variation: ``mean((x[..., 1:, :] - x[..., :-1, :])^2) + mean((x[..., :, 1:] - x[..., :, :-1])^2)``
  (squared differences, averaged, so the weight does not depend on image size).

Scale: with these definitions the Gatys defaults used here are content weight 1 and style weight 1e6
(the PyTorch tutorial's setting, also Johnson's ratio of 1e5 : 1e10).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F


def gram(features: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, C): ``F F^T / (C * H * W)`` per batch item."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * h * w)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error between two (N, C, H, W) feature maps; a scalar."""
    return F.mse_loss(features, target)


def style_loss(
    features: Mapping[str, torch.Tensor],
    target_grams: Mapping[str, torch.Tensor],
    layer_weights: Mapping[str, float],
) -> torch.Tensor:
    """``sum_l w_l * mean((gram(F_l) - A_l)^2)`` over ``layer_weights``; a scalar.

    ``target_grams[l]`` is (1, C, C) or (N, C, C) and broadcasts over the batch of ``features[l]``.
    """
    total = features[next(iter(layer_weights))].new_zeros(())
    for layer, weight in layer_weights.items():
        g = gram(features[layer])
        total = total + weight * F.mse_loss(g, target_grams[layer].expand_as(g))
    return total


#: Floor of mean(A_l^2) (= ||A_l||_F^2 / C_l^2) in :func:`target_normalised`. The bundled paintings'
#: targets are 2.8e-6 (relu5_1, The Scream) and above at 256 px, so the floor never touches them.
GRAM_NORM_FLOOR = 1e-12


def target_normalised(
    target_grams: Mapping[str, torch.Tensor], layer_weights: Mapping[str, float]
) -> dict[str, torch.Tensor]:
    """``w_l / max(mean(A_l^2), GRAM_NORM_FLOOR)`` per layer (0-dim tensors on the targets' device): as
    :func:`style_loss` weights they make layer l's term ``w_l ||G_l - A_l||_F^2 / ||A_l||_F^2``, the
    relative error, which scaling the painting's activations at a layer by any constant leaves unchanged."""
    return {
        layer: w / target_grams[layer].detach().square().mean().clamp_min(GRAM_NORM_FLOOR)
        for layer, w in layer_weights.items()
    }


#: Period of the pattern :func:`grid_loss` measures: two stride-2 stages put an output on a 4-px grid.
GRID_PERIOD = 4


def grid_loss(image: torch.Tensor, window: int = 8) -> torch.Tensor:
    """Energy of the local period-4 pattern of an (N, C, H, W) image, in its own units squared (a scalar).

    The image is cut into 4x4 cells; over each ``window`` x ``window`` block of cells (32 px for 8), the 16
    phase means (the mean of the pixels at offset (i, j) in their cell) are taken, and the loss is the mean
    squared deviation of those phase means from their block's mean. That is the energy an image has on the
    frequencies k/4 cycles per pixel, locally: the lattice on which up-sampling stages leave checkerboard
    patterns (Odena et al. 2016; the checkerboard score of :mod:`i2i.eval.artifacts` measures the same lattice
    over the whole image), and on which a fast-style network can buy VGG16 Gram matches with a fixed
    pattern instead of the painting's strokes. Natural photos and Gatys' outputs score about 1.5e-4 in [0, 1]
    units, fast models with visible grids 1e-3 to 2e-3; smooth shading of slope s per pixel adds 1.25 s^2
    (the cell's own ramp), 3e-4 for a steep 1/64. Rows and columns past the last full block are ignored;
    ``image`` needs at least ``4 * window`` px a side.
    """
    n, c, h, w = image.shape
    side = GRID_PERIOD * window
    if h < side or w < side:
        raise ValueError(f"grid_loss needs at least {side} px a side, got {h}x{w}")
    rows, cols = h // side * window, w // side * window  # whole blocks, in cells
    cells = image[..., : rows * GRID_PERIOD, : cols * GRID_PERIOD]
    cells = cells.reshape(n, c, rows, GRID_PERIOD, cols, GRID_PERIOD).permute(0, 1, 3, 5, 2, 4)
    phases = F.avg_pool2d(cells.reshape(n, c * GRID_PERIOD**2, rows, cols), window)
    phases = phases.reshape(n, c, GRID_PERIOD**2, -1)
    return (phases - phases.mean(dim=2, keepdim=True)).square().mean()


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation of an (N, C, H, W) image: mean squared vertical + horizontal differences."""
    dy = image[..., 1:, :] - image[..., :-1, :]
    dx = image[..., :, 1:] - image[..., :, :-1]
    return dy.square().mean() + dx.square().mean()
