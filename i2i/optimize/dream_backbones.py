"""Feature networks DeepDream can climb: Inception-v3 (default) or VGG, each returning named taps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from torch import nn

from i2i.errors import I2IError
from i2i.features import inception

BACKBONES = ("inception_v3", "vgg16", "vgg19")


def _inception_from_file(path: Path, taps: Sequence[str]) -> nn.Module:
    """A TorchScript FID archive member, or a torchvision inception_v3 state dict."""
    import torch

    if not path.is_file():
        raise I2IError(f"{path}: backbone weights not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        return inception.from_torchscript(path, taps)
    import torchvision

    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as err:
        raise I2IError(f"{path}: not an inception_v3 state dict ({str(err).splitlines()[0]})") from None
    return inception.from_torchvision(model, taps)


def load_dream_features(
    backbone: str, taps: Sequence[str], weights: Path | None, console: Console
) -> nn.Module:
    """A frozen module mapping RGB [0, 1] (N, 3, H, W) to {tap: activation} for the requested taps."""
    if backbone not in BACKBONES:
        raise I2IError(f"unknown backbone {backbone!r}; valid: {', '.join(BACKBONES)}")
    if backbone == "inception_v3":
        inception.check_taps(taps)
        if weights is not None:
            return _inception_from_file(weights, taps)
        raise I2IError("no Inception-v3 weights: pass --backbone-weights (resolver not wired yet)")
    raise I2IError(f"backbone {backbone} is not available yet")
