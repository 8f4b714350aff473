"""Neural style transfer by optimisation (Gatys, Ecker and Bethge 2016, "Image Style Transfer Using
Convolutional Neural Networks", CVPR).

The output image x (RGB, (1, 3, H, W), optimised in [0, 1] pixel space, clamped at the end) minimises::

    L(x) = alpha * mean((F_c(x) - F_c(p))^2)                       content, layer c (relu4_2)
         + beta  * sum_l w_l * S_l(x)                              style, layers l (relu1_1 .. relu5_1)
         + gamma * TV(x)                                           smoothness

    S_l(x) = ||G_l(x) - A_l||_F^2 / ||A_l||_F^2                    style_norm="target" (the default)
    S_l(x) = mean((G_l(x) - A_l)^2) = ||G_l(x) - A_l||_F^2 / C_l^2  style_norm="none" (Gatys; beta 1e6)

with F the frozen VGG activations (ImageNet-normalised inside the feature module), G_l = F_l F_l^T / (C H W)
the Gram matrix of layer l, p the content photo and A_l = sum_k b_k G_l(a_k) the blend of the style images'
Grams (blend weights b_k sum to 1). Naming key, code vs paper: ``content_weight`` = alpha,
``style_weight`` = beta, ``tv_weight`` = gamma, ``layer_weights`` = w_l, ``style_norm`` picks S_l.

Why the target norm: a painting's Grams differ in size from one painting to the next (bright, high-contrast,
busy paintings have larger activations; across the six bundled paintings ||A_l||_F^2 spans 5-13x per layer at
256 px). Scaling layer l's activations by k scales G_l and A_l by k^2, so the unnormalised term by k^4: one
fixed beta gave each painting a different content/style balance. S_l with ``"target"`` is the relative error
of the Gram, the same for any such k: each layer's term is a plain number (1 when G_l = 0, 0 when matched),
``w_l`` weigh layers by their relative mismatch, and beta means the same for every painting. The normaliser
is a constant of the target (no gradient flows through it), computed once per scale with the targets;
``||A_l||_F^2`` is floored at :data:`GRAM_NORM_FLOOR` times C_l^2 so a layer a style image leaves dark
cannot divide by zero. ``"none"`` reproduces results made before the normalisation (with beta 1e6).

Multi-resolution: the image is optimised at each long side in ``scales`` (smallest first); each scale
starts from the previous result upsampled, and the content target and style Grams are recomputed once per
scale (style images are resized to ``style_scale`` times the content's long side). The feature network is
never updated: its parameters do not require grad and only x is given to the optimiser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from i2i.amp import Amp
from i2i.errors import I2IError
from i2i.losses import GRAM_NORM_FLOOR, content_loss, gram, style_loss, target_normalised, tv_loss
from i2i.optimize.color import match_color, transfer_luminance
from i2i.optimize.stylize_options import (
    DEFAULT_SCHEDULE,
    DEFAULT_STYLE_WEIGHTS,
    STYLE_LAYERS,
    NeuralStyleConfig,
    default_schedule,
    fit_schedule,
    parse_layer_weights,
)
from i2i.progress import Interrupted

#: The settings live in :mod:`i2i.optimize.stylize_options` (torch-free); the method's callers may import
#: them from here too.
__all__ = [
    "DEFAULT_SCHEDULE", "DEFAULT_STYLE_WEIGHTS", "GRAM_NORM_FLOOR", "STYLE_LAYERS", "NeuralStyleConfig",
    "StepInfo", "StyleResult", "blend_weights", "default_schedule", "fit_long_side", "fit_schedule",
    "parse_layer_weights", "resize", "run_features", "style_layer_weights", "style_targets", "stylize",
]  # fmt: skip


@dataclass(frozen=True)
class StepInfo:
    """One optimisation step: ``scale`` index, its long side ``size``, ``iteration`` within the scale
    (1-based), the global ``step`` and the weighted loss terms (``total``, ``content``, ``style``, ``tv``)."""

    scale: int
    size: int
    iteration: int
    step: int
    losses: dict[str, float]


@dataclass
class StyleResult:
    """``image``: (3, H, W) in [0, 1] on the CPU; ``history``: one :class:`StepInfo` per step."""

    image: torch.Tensor
    history: list[StepInfo]


def fit_long_side(height: int, width: int, long_side: int) -> tuple[int, int]:
    """(h, w) with the longer side equal to ``long_side`` and the aspect ratio kept (each side >= 1)."""
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(C, H, W) or (N, C, H, W) in [0, 1] -> same at ``size`` (antialiased bicubic, clamped)."""
    batched = image if image.dim() == 4 else image.unsqueeze(0)
    if tuple(batched.shape[-2:]) != size:
        batched = F.interpolate(batched, size=size, mode="bicubic", antialias=True, align_corners=False)
    batched = batched.clamp(0, 1)
    return batched if image.dim() == 4 else batched[0]


def blend_weights(n_styles: int, blend: Sequence[float] | None) -> list[float]:
    """The style images' blend weights, normalised to sum 1 (None: equal). I2IError for a bad count or
    negative weights (checked before a run starts, so that no input is tried)."""
    if blend is None:
        return [1.0 / n_styles] * n_styles
    if len(blend) != n_styles:
        raise I2IError(f"--style-blend has {len(blend)} weights for {n_styles} style images")
    if any(b < 0 for b in blend) or sum(blend) <= 0:
        raise I2IError("--style-blend weights must be non-negative and not all zero")
    total = float(sum(blend))
    return [b / total for b in blend]


def run_features(features: nn.Module, image: torch.Tensor, amp: Amp | None) -> dict[str, torch.Tensor]:
    """The feature taps of a (1, 3, H, W) image, computed under ``amp`` (autocast, channels_last) and
    returned as float32, so losses and Gram matrices are always float32."""
    if amp is None:
        return features(image)
    with amp.autocast():
        feats = features(amp.tensor(image))
    return {k: v.float() for k, v in feats.items()}


@torch.no_grad()
def style_targets(
    features: nn.Module,
    styles: Sequence[torch.Tensor],
    blend: Sequence[float],
    layers: Sequence[str],
    amp: Amp | None = None,
) -> dict[str, torch.Tensor]:
    """Blended target Grams {layer: (1, C, C)} from style images (each (3, h, w) in [0, 1])."""
    targets: dict[str, torch.Tensor] = {}
    for style, b in zip(styles, blend, strict=True):
        feats = run_features(features, style.unsqueeze(0), amp)
        for layer in layers:
            g = gram(feats[layer]) * b
            targets[layer] = targets[layer] + g if layer in targets else g
    return targets


def style_layer_weights(
    targets: Mapping[str, torch.Tensor], config: NeuralStyleConfig
) -> dict[str, float | torch.Tensor]:
    """The factor of each style layer's ``mean((G_l - A_l)^2)`` in the style term (before beta).

    ``style_norm="none"``: ``w_l``. ``"target"``: ``w_l / max(mean(A_l^2), GRAM_NORM_FLOOR)`` (a 0-dim
    tensor on the targets' device), which makes the layer's term ``w_l ||G_l - A_l||_F^2 / ||A_l||_F^2``:
    scaling a style image's activations at a layer by any constant leaves it unchanged.
    """
    if config.style_norm == "none":
        return dict(config.layer_weights)
    return target_normalised(targets, config.layer_weights)


def _device_of(module: nn.Module) -> torch.device:
    for tensor in [*module.parameters(), *module.buffers()]:
        return tensor.device
    return torch.device("cpu")


def stylize(
    features: nn.Module,
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    config: NeuralStyleConfig,
    *,
    init_image: torch.Tensor | None = None,
    on_step: Callable[[StepInfo], None] | None = None,
    on_save: Callable[[StepInfo, torch.Tensor], None] | None = None,
    amp: Amp | None = None,
) -> StyleResult:
    """Optimise an image with ``content``'s layout and the ``styles``' textures.

    ``features``: frozen module mapping (N, 3, H, W) in [0, 1] to a dict with every tap in
    ``config.taps`` (its device is used). ``content``: (3, H, W) in [0, 1], any size (resized to each
    scale). ``styles``: one or more (3, h, w) in [0, 1]. ``init_image``: (3, h, w) in [0, 1] to start
    from instead of ``config.init``. ``on_step`` is called after every step; ``on_save`` every
    ``config.save_every`` steps with the current image (3, H_s, W_s) in [0, 1] (colour-preserved if
    asked). ``amp``: run the feature network under autocast / channels_last (:func:`i2i.amp.resolve_amp`;
    None: float32); the image, losses, Grams and L-BFGS state stay float32. Returns the final image at
    the last scale's size, on the CPU. Ctrl-C raises :class:`~i2i.progress.Interrupted` carrying
    the current image (at the current scale's size).
    """
    if not styles:
        raise I2IError("at least one style image is needed")
    if content.dim() != 3 or content.shape[0] != 3:
        raise I2IError(f"content must be (3, H, W), got {tuple(content.shape)}")
    if any(p.requires_grad for p in features.parameters()):
        raise ValueError("the feature network must be frozen (requires_grad False)")
    device = _device_of(features)
    blend = blend_weights(len(styles), config.style_blend)
    gen = torch.Generator().manual_seed(config.seed)
    history: list[StepInfo] = []
    styles = [s.to(device) for s in styles]
    content = content.to(device)
    x: torch.Tensor | None = None
    step = 0
    for scale_index, long_side in enumerate(config.scales):
        size = fit_long_side(content.shape[1], content.shape[2], long_side)
        if min(size) < config.min_side:
            raise I2IError(
                f"at {long_side} px the image is {size[1]}x{size[0]}: layers down to "
                f"{config.taps[-1]} need sides of at least {config.min_side} px; use a larger size"
            )
        content_s = resize(content, size)
        style_side = max(16, round(long_side * config.style_scale))
        styles_s = [resize(s, fit_long_side(s.shape[1], s.shape[2], style_side)) for s in styles]
        if config.preserve_color == "histogram":
            styles_s = [match_color(s, content_s) for s in styles_s]
        targets = style_targets(features, styles_s, blend, list(config.layer_weights), amp)
        layer_factors = style_layer_weights(targets, config)
        with torch.no_grad():
            content_target = run_features(features, content_s.unsqueeze(0), amp)[config.content_layer]
        if x is not None:
            start = resize(x, size)
        elif init_image is not None:
            start = resize(init_image.to(device), size)
        elif config.init == "noise":
            start = torch.rand((3, *size), generator=gen).to(device)
        else:
            start = content_s
        x, step = _optimise_scale(
            features, start, content_s, content_target, targets, config, scale_index, step, history,
            on_step, on_save, amp, layer_factors,
        )  # fmt: skip
    assert x is not None
    final = _finish(x, resize(content, tuple(x.shape[-2:])), config)
    return StyleResult(final.cpu(), history)


def _objective(
    features: nn.Module,
    image: torch.Tensor,
    content_target: torch.Tensor,
    targets: Mapping[str, torch.Tensor],
    config: NeuralStyleConfig,
    amp: Amp | None = None,
    layer_factors: Mapping[str, float | torch.Tensor] | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted loss of a (1, 3, H, W) image and its terms as floats (float32 throughout).

    ``layer_factors``: :func:`style_layer_weights` of ``targets`` (computed here when None)."""
    feats = run_features(features, image, amp)
    if layer_factors is None:
        layer_factors = style_layer_weights(targets, config)
    c = config.content_weight * content_loss(feats[config.content_layer], content_target)
    s = config.style_weight * style_loss(feats, targets, layer_factors)
    t = config.tv_weight * tv_loss(image) if config.tv_weight else image.new_zeros(())
    total = c + s + t
    return total, {"total": total.item(), "content": c.item(), "style": s.item(), "tv": t.item()}


def _optimise_scale(
    features: nn.Module,
    start: torch.Tensor,
    content_s: torch.Tensor,
    content_target: torch.Tensor,
    targets: Mapping[str, torch.Tensor],
    config: NeuralStyleConfig,
    scale_index: int,
    step: int,
    history: list[StepInfo],
    on_step: Callable[[StepInfo], None] | None,
    on_save: Callable[[StepInfo, torch.Tensor], None] | None,
    amp: Amp | None = None,
    layer_factors: Mapping[str, float | torch.Tensor] | None = None,
) -> tuple[torch.Tensor, int]:
    """Run ``config.iterations_at(scale_index)`` steps from ``start`` (3, H, W); returns the image
    (3, H, W) and the step."""
    x = start.detach().clone().unsqueeze(0).requires_grad_(True)
    terms_box: dict[str, float] = {}
    if config.optimizer == "lbfgs":  # one iteration per step() call; state (history) persists
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [x], lr=config.lr or 1.0, max_iter=1, history_size=100, tolerance_grad=-1.0, tolerance_change=-1.0
        )
    else:
        opt = torch.optim.Adam([x], lr=config.lr or 0.02)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        total, terms = _objective(features, x, content_target, targets, config, amp, layer_factors)
        total.backward()
        terms_box.update(terms)
        return total

    long_side = config.scales[scale_index]
    try:
        for iteration in range(1, config.iterations_at(scale_index) + 1):
            opt.step(closure)
            if config.optimizer == "adam":
                with torch.no_grad():
                    x.clamp_(0, 1)
            step += 1
            if not all(math.isfinite(v) for v in terms_box.values()):
                raise I2IError(f"loss became {terms_box['total']} at step {step}; lower --lr or the weights")
            info = StepInfo(scale_index, long_side, iteration, step, dict(terms_box))
            history.append(info)
            if on_step is not None:
                on_step(info)
            if on_save is not None and config.save_every and step % config.save_every == 0:
                on_save(info, _finish(x.detach()[0], content_s, config))
    except KeyboardInterrupt:  # Ctrl-C: hand the current image to the caller
        raise Interrupted(_finish(x.detach()[0], content_s, config).cpu(), step) from None
    return x.detach()[0].clamp(0, 1), step


def _finish(x: torch.Tensor, content: torch.Tensor, config: NeuralStyleConfig) -> torch.Tensor:
    x = x.clamp(0, 1)
    if config.preserve_color == "luminance":
        x = transfer_luminance(x, content)
    return x
