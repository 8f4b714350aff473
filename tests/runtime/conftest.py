"""Tiny exported models shared by the runtime tests (exported once per session)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@dataclass(frozen=True)
class Exported:
    path: Path
    module: object  # the torch generator, [-1, 1] in and out


def _header(arch: str, multiple: int) -> str:
    return json.dumps(
        {
            "arch": {"name": arch, "kwargs": {}},
            "io": {"in_channels": 3, "out_channels": 3, "value_range": [-1, 1], "size_multiple": multiple},
            "task": "cyclegan",
            "direction": "AtoB",
            "name": "tiny",
        }
    )


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Exported:
    """resnet_6blocks, ngf=4, instance norm (size multiple 4)."""
    import torch

    from i2i.export import export_generator
    from i2i.nn import build_generator

    torch.manual_seed(0)
    module = build_generator("resnet_6blocks", ngf=4)
    path = tmp_path_factory.mktemp("models") / "tiny.onnx"
    export_generator(module, _header("resnet_6blocks", 4), path, value_range=(-1, 1), multiple=4)
    return Exported(path, module.eval())


@pytest.fixture(scope="session")
def local_model(tmp_path_factory) -> Exported:
    """A small fully convolutional net (3 reflect-padded 3x3 convs, 7 px receptive field): its output is a
    strong, local function of the input, so tiled and whole inference must agree wherever tiles overlap by
    more than the receptive field."""
    import torch
    from torch import nn

    from i2i.export import export_generator

    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect"),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, padding_mode="reflect"),
        nn.ReLU(),
        nn.Conv2d(8, 3, 3, padding=1, padding_mode="reflect"),
        nn.Tanh(),
    )
    with torch.no_grad():  # default init is too gentle to show blending errors
        for conv in module[::2]:
            conv.weight.mul_(3.0)
    path = tmp_path_factory.mktemp("models") / "local.onnx"
    export_generator(module, _header("local", 4), path, value_range=(-1, 1), multiple=4)
    return Exported(path, module.eval())


def save_noise(path: Path, size: tuple[int, int], mode: str = "RGB", seed: int = 0, **params) -> Path:
    """An image of random pixels, ``size`` = (width, height)."""
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "RGBA": 4, "L": None}[mode]
    shape = (size[1], size[0]) if channels is None else (size[1], size[0], channels)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(path, **params)
    return path


@pytest.fixture
def make_image():
    """``make_image(path, (width, height), mode="RGB", seed=0, **save_params)`` writes random pixels."""
    return save_noise
