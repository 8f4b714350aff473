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


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation of an (N, C, H, W) image: mean squared vertical + horizontal differences."""
    dy = image[..., 1:, :] - image[..., :-1, :]
    dx = image[..., :, 1:] - image[..., :, :-1]
    return dy.square().mean() + dx.square().mean()
