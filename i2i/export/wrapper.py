"""The module that gets exported: a generator with its value-range conversion inside.

Input float32 (N, C_in, H, W) in [0, 1] -> output float32 (N, C_out, H, W) in [0, 1], whatever range
the network itself uses (``header.io.value_range``, [-1, 1] for tanh generators).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from i2i.nn.layers import batchnorm_to_instancenorm, check_pad, with_reflected_border


def _drop_dropout(module: nn.Module) -> nn.Module:
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Dropout | nn.Dropout2d):
            setattr(module, name, nn.Identity())
        else:
            _drop_dropout(child)
    return module


def inference_copy(generator: nn.Module) -> nn.Module:
    """A CPU float32 eval-mode copy of ``generator`` as it should run at inference.

    BatchNorm2d becomes InstanceNorm2d(affine) with the same scale/shift and dropout layers become
    identities. Why: the pix2pix authors' test script runs the generator in train mode at batch size 1, so
    batch norm normalises each image with its own statistics; instance norm does exactly that (identical at
    batch 1) for any batch. The original is untouched.
    """
    module = copy.deepcopy(generator).to("cpu", torch.float32)
    batchnorm_to_instancenorm(module)
    _drop_dropout(module)
    return module.eval()


class ExportWrapper(nn.Module):
    """``generator`` between [0, 1] <-> ``value_range`` conversions.

    forward: (N, C_in, H, W) in [0, 1] -> (N, C_out, H, W) clamped to [0, 1] (a tanh output is there
    already; the fast-style network's scaled tanh reaches a little beyond).

    ``pad`` (a multiple of 4): reflection-pad the image by that many pixels before the generator and crop
    them off after (:func:`~i2i.nn.layers.with_reflected_border`), so the generator's own borders, which
    short CPU runs learn badly (stripes along the edges), fall outside the picture. It adds no weights.

    ``strength`` (> 0; needs C_in == C_out): return ``clamp(image + strength * (translation - image))``
    instead of the translation itself. Below 1 it blends the translation with the input; above 1 it
    extrapolates the change the generator makes (for the shipped apple2orange, 1.5 pushes red apples past
    orange into yellow: a hue change extrapolates along the hue). At 1 the graph is the plain generator's.
    """

    def __init__(
        self,
        generator: nn.Module,
        value_range: tuple[float, float] = (-1.0, 1.0),
        pad: int = 0,
        strength: float = 1.0,
    ) -> None:
        super().__init__()
        self.generator = generator
        lo, hi = (float(v) for v in value_range)
        if hi <= lo:
            raise ValueError(f"value_range must be increasing, got {value_range}")
        if not strength > 0.0:
            raise ValueError(f"strength must be positive, got {strength}")
        self.lo, self.span, self.pad, self.strength = lo, hi - lo, check_pad(pad), float(strength)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        out = with_reflected_border(self.generator, image * self.span + self.lo, self.pad)
        translated = ((out - self.lo) / self.span).clamp(0.0, 1.0)
        if self.strength == 1.0:
            return translated
        return (image + self.strength * (translated - image)).clamp(0.0, 1.0)
