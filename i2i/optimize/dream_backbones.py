"""Feature networks DeepDream can climb: Inception-v3 (default) or VGG, each returning named taps.

Inception taps are Keras names (mixed0 .. mixed10); VGG taps are relu names (relu4_3, relu5_1, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from torch import nn

from i2i.errors import I2IError
from i2i.features import inception
from i2i.optimize.dream_options import DreamBackbone

BACKBONES = tuple(b.value for b in DreamBackbone)


def load_dream_features(
    backbone: str, taps: Sequence[str], weights: Path | None, console: Console
) -> nn.Module:
    """A frozen module mapping RGB [0, 1] (N, 3, H, W) to {tap: activation} for the requested taps."""
    if backbone not in BACKBONES:
        raise I2IError(f"unknown backbone {backbone!r}; valid: {', '.join(BACKBONES)}")
    if backbone == "inception_v3":
        return inception.load_inception_taps(taps, weights)
    from i2i.features.vgg import load_vgg

    return load_vgg(backbone, taps, weights, log=lambda message: console.print(f"[dim]weights:[/] {message}"))
