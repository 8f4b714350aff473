"""The image gradients of Gatys stylize and DeepDream under each ``--amp`` they resolve here, vs float64.

Both differentiate a frozen, eval-mode network with respect to the image, under :func:`i2i.amp.resolve_amp`
(bf16 autocast + channels_last on a CPU with AVX512-BF16/AMX). Tolerances per precision: float32 cosine >=
0.9999 and relative error <= 1e-3; bf16 for VGG (Gatys) cosine >= 0.999 and relative error <= 0.05 (measured
0.99994 / 0.011), for Inception-v3 with random weights (DeepDream) cosine >= 0.9 and relative error <= 0.5
(measured 0.970 / 0.25, the same in NCHW: bf16's own error, not the memory format's).
"""

from __future__ import annotations

import pytest
import torch
import torchvision

from i2i.amp import Amp, resolve_amp
from i2i.features.inception import from_torchvision
from i2i.features.vgg import VGGFeatures
from i2i.losses.perceptual import gram
from i2i.optimize import neural_style as ns
from i2i.optimize.deepdream import image_gradient

MODES = ("auto", "bf16", "none")


def agreement(grad: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    g, r = grad.double().flatten(), reference.double().flatten()
    return float(g @ r / (g.norm() * r.norm())), float((g - r).norm() / r.norm())


def frozen(module: torch.nn.Module) -> torch.nn.Module:
    for p in module.parameters():
        p.requires_grad_(False)
    return module.eval()


@pytest.fixture(scope="module")
def vgg() -> torch.nn.Module:
    torch.manual_seed(0)
    return frozen(VGGFeatures("vgg16", ns.NeuralStyleConfig().taps))


def gatys_gradient(features: torch.nn.Module, image: torch.Tensor, amp: Amp | None) -> torch.Tensor:
    """dL/dx of the Gatys objective at ``image`` (1, 3, H, W) in [0, 1], style and content targets made
    under the same ``amp``; float64 throughout when ``amp`` is None and the inputs are float64."""
    cfg = ns.NeuralStyleConfig()
    style = torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(1)).to(image.dtype)
    with torch.no_grad():
        style_feats = ns.run_features(features, style, amp)
        targets = {layer: gram(style_feats[layer]) for layer in cfg.layer_weights}
        content = ns.run_features(features, image * 0.8 + 0.1, amp)[cfg.content_layer]
    x = image.clone().requires_grad_(True)
    loss, _ = ns._objective(features, x, content, targets, cfg, amp)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


@pytest.mark.parametrize("mode", MODES)
def test_gatys_image_gradient_matches_float64(vgg, mode):
    image = torch.rand(1, 3, 40, 48, generator=torch.Generator().manual_seed(2))
    expected = gatys_gradient(vgg.double(), image.double(), None)
    amp = resolve_amp(mode, "cpu")
    grad = gatys_gradient(amp.module(vgg.float()), image, amp)
    vgg.to(memory_format=torch.contiguous_format)
    cosine, rel = agreement(grad, expected)
    min_cos, max_rel = (0.9999, 1e-3) if amp.mode == "none" else (0.999, 0.05)
    assert cosine >= min_cos and rel <= max_rel, f"{amp}: cos {cosine:.5f} rel {rel:.4f}"


@pytest.fixture(scope="module")
def inception() -> torch.nn.Module:
    torch.manual_seed(0)
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True)
    return frozen(from_torchvision(net, ["mixed3", "mixed5"]))


DREAM_IMAGE = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(3)) * 2 - 1
DREAM_LAYERS = {"mixed3": 1.0, "mixed5": 1.0}


@pytest.fixture(scope="module")
def dream_reference(inception) -> torch.Tensor:
    grad, _ = image_gradient(inception.double(), DREAM_IMAGE.double(), DREAM_LAYERS, 0, None, None)
    inception.float()
    return grad


@pytest.mark.parametrize("mode", MODES)
def test_deepdream_image_gradient_matches_float64(inception, dream_reference, mode):
    features, x, weights, expected = inception, DREAM_IMAGE, DREAM_LAYERS, dream_reference
    amp = resolve_amp(mode, "cpu")
    grad, _ = image_gradient(amp.module(features.float()), x, weights, 0, None, amp)
    features.to(memory_format=torch.contiguous_format)
    cosine, rel = agreement(grad, expected)
    min_cos, max_rel = (0.9999, 1e-3) if amp.mode == "none" else (0.9, 0.5)
    assert cosine >= min_cos and rel <= max_rel, f"{amp}: cos {cosine:.5f} rel {rel:.4f}"
