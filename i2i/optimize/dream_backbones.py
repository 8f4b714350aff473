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

BACKBONES = ("inception_v3", "vgg16", "vgg19")
#: Layers used with a VGG backbone when none are given (the Inception presets name Inception layers).
VGG_DEFAULT_LAYERS = {"relu4_3": 1.0, "relu5_3": 1.0}


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
