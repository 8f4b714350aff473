"""DeepDream (Mordvintsev, Olah and Tyka 2015): gradient ascent on the image to excite chosen layers.

Objective, maximised over the image x (RGB, kept in [-1, 1] while optimising)::

    L(x) = sum_l  w_l * mean( a_l(x)[:, :, b:-b, b:-b] ** 2 )

where a_l are the activations of layer l of a frozen ImageNet network and b is a small border crop
(2 px) that keeps padding artefacts out of the objective. Each step adds ``step_size * g / mean|g|``
(g = dL/dx): normalising by the mean absolute gradient makes the step size independent of the layer mix.

Octaves: the image is dreamt at ``octaves`` sizes, each ``octave_scale`` times the previous, smallest
first. Between octaves the detail lost by downscaling the original (original at this size minus the
upscaled smallest version) is added back, so the result stays sharp. A random roll of up to ``jitter`` px
per step, and gradients computed tile by tile (``tile`` px, rolled by up to a tile so seams move every
step), let large images run in bounded memory without visible seams.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from i2i.amp import Amp
from i2i.optimize.dream_options import DEFAULT_PRESET, MIN_SIDE, PRESETS, DreamConfig, parse_layers
from i2i.progress import Interrupted

__all__ = ["DEFAULT_PRESET", "MIN_SIDE", "PRESETS", "DreamConfig", "dream", "octave_sizes", "parse_layers"]


def octave_sizes(height: int, width: int, octaves: int, scale: float) -> list[tuple[int, int]]:
    """Sizes to dream at, smallest first, ending at (height, width); octaves below MIN_SIDE are dropped."""
    sizes = []
    for k in range(octaves - 1, -1, -1):
        h, w = round(height / scale**k), round(width / scale**k)
        if k == 0 or min(h, w) >= MIN_SIDE:
            sizes.append((h, w))
    return sizes


def objective(
    activations: Mapping[str, torch.Tensor],
    weights: Mapping[str, float],
    border: int,
    area_fraction: float = 1.0,
) -> torch.Tensor:
    """sum_l w_l * mean(a_l^2) over the border-cropped activations (a scalar tensor).

    ``area_fraction`` is the share of the whole image a tile covers: a tile's term is its sum of squares
    divided by the element count the whole image would have, so the tiles' terms add up to the
    whole-image mean.
    """
    total = torch.zeros((), device=next(iter(activations.values())).device)
    for name, weight in weights.items():
        a = activations[name]
        if border and min(a.shape[-2:]) > 2 * border:
            a = a[..., border:-border, border:-border]
        total = total + weight * a.square().sum() / (a.numel() / area_fraction)
    return total


def _tile_starts(size: int, tile: int) -> list[tuple[int, int]]:
    """Split [0, size) into ceil(size / tile) near-equal spans."""
    n = max(1, math.ceil(size / tile))
    edges = [round(i * size / n) for i in range(n + 1)]
    return list(itertools.pairwise(edges))


def image_gradient(
    features: nn.Module,
    x: torch.Tensor,
    weights: Mapping[str, float],
    border: int,
    tile: int | None,
    amp: Amp | None = None,
) -> tuple[torch.Tensor, float]:
    """dL/dx and L for x (1, 3, H, W) in [-1, 1]; tile by tile when ``tile`` is smaller than the image.

    ``features`` maps RGB in [0, 1] to a dict of activations. ``amp``: run it under autocast /
    channels_last; activations are cast to float32 before the objective, so L and dL/dx are float32.
    """
    height, width = x.shape[-2:]
    if tile is None or (height <= tile and width <= tile):
        spans = [((0, height), (0, width))]
    else:
        spans = [(ys, xs) for ys in _tile_starts(height, tile) for xs in _tile_starts(width, tile)]
    grad = torch.zeros_like(x)
    loss_total = torch.zeros((), device=x.device)
    for (y0, y1), (x0, x1) in spans:
        part = x[..., y0:y1, x0:x1].detach().requires_grad_(True)
        loss = objective(
            _features(features, (part + 1) / 2, amp),
            weights,
            border,
            (y1 - y0) * (x1 - x0) / (height * width),
        )
        (g,) = torch.autograd.grad(loss, part)
        grad[..., y0:y1, x0:x1] = g
        loss_total = loss_total + loss.detach()
    return grad, float(loss_total)


def _features(features: nn.Module, x: torch.Tensor, amp: Amp | None) -> Mapping[str, torch.Tensor]:
    if amp is None:
        return features(x)
    with amp.autocast():
        acts = features(amp.tensor(x))
    return {k: v.float() for k, v in acts.items()}


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


StepCallback = Callable[[int, int, float], None]  # (octave index, step index, loss)


def dream(
    features: nn.Module,
    image: torch.Tensor,
    config: DreamConfig,
    generator: torch.Generator | None = None,
    on_step: StepCallback | None = None,
    amp: Amp | None = None,
) -> torch.Tensor:
    """Dream on ``image`` (1, 3, H, W) RGB in [0, 1]; returns (1, 3, H, W) in [0, 1] on the same device.

    ``features`` must return the activations named in ``config.layers``. ``generator`` (CPU) drives the
    random rolls, so a seed reproduces a dream. ``amp``: see :func:`image_gradient`. Ctrl-C raises
    :class:`~i2i.progress.Interrupted` with the current image (1, 3, h, w) in [0, 1] on the CPU.
    """
    if image.ndim != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"expected a (1, 3, H, W) image, got {tuple(image.shape)}")
    original = image.detach() * 2 - 1
    sizes = octave_sizes(*original.shape[-2:], config.octaves, config.octave_scale)
    shrunk_original = _resize(original, sizes[0])
    x = shrunk_original.clone()
    done = 0
    for octave, size in enumerate(sizes):
        x = _resize(x, size)
        roll_max = max(config.jitter, config.tile or 0)
        try:
            for step in range(config.steps):
                dy, dx = (int(v) for v in torch.randint(-roll_max, roll_max + 1, (2,), generator=generator))
                rolled = torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
                grad, loss = image_gradient(features, rolled, config.layers, config.border, config.tile, amp)
                grad = torch.roll(grad, shifts=(-dy, -dx), dims=(-2, -1))
                x = (x + config.step_size * grad / (grad.abs().mean() + 1e-8)).clamp_(-1, 1)
                done += 1
                if on_step is not None:
                    on_step(octave, step, loss)
                if config.max_loss is not None and loss > config.max_loss:
                    break
        except KeyboardInterrupt:  # Ctrl-C: hand the current image to the caller
            raise Interrupted(((x + 1) / 2).clamp(0, 1).cpu(), done) from None
        # Put back the detail that the trip through the smaller sizes lost.
        same_size_original = _resize(original, size)
        x = (x + same_size_original - _resize(shrunk_original, size)).clamp_(-1, 1)
        shrunk_original = same_size_original
    return ((x + 1) / 2).clamp_(0, 1)
