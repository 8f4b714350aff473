"""Tiny synthetic pix2pix data and configs small enough for a few CPU steps per second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from i2i.train.pix2pix import Pix2PixConfig


def write_ab_dataset(root: Path, n_train: int = 4, n_val: int = 2, size: int = 32) -> Path:
    """``root/train`` and ``root/val`` of AB images (size x 2*size): B is A with inverted colours."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("val", n_val)):
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = rng.integers(0, 256, (size // 4, size // 4, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)
            b = 255 - a
            Image.fromarray(np.concatenate([a, b], axis=1)).save(folder / f"{i}.png")
    return root


@pytest.fixture
def tiny_ab(tmp_path: Path) -> Path:
    return write_ab_dataset(tmp_path / "tiny")


def tiny_config(data: Path, **overrides: Any) -> Pix2PixConfig:
    """unet with 5 downs (multiple of 32), ngf/ndf 4, 32x32 crops from 36x36, no workers."""
    base: dict[str, Any] = {
        "data": str(data),
        "netG": "unet",
        "num_downs": 5,
        "ngf": 4,
        "ndf": 4,
        "load_size": 36,
        "crop_size": 32,
        "workers": 0,
        "device": "cpu",
        "epochs": 1,
        "epochs_decay": 2,
        "log_every": 1,
        "sample_every": 2,
        "n_samples": 2,
        "seed": 3,
        "amp": "none",  # bit-exact float32: the auto default would pick bf16 on bf16 CPUs
    }
    base.update(overrides)
    return Pix2PixConfig(**base)


def write_style_inputs(root: Path) -> tuple[Path, Path]:
    """(random VGG16 feature weights, a folder of three small photos of different shapes) under ``root``,
    for fast-style training tests that need no download."""
    import torch

    from i2i.features.vgg import VGGFeatures

    torch.manual_seed(0)
    weights = root / "vgg16_random.pt"
    torch.save(VGGFeatures("vgg16", ["relu5_3"]).features.state_dict(), weights)
    photos = root / "photos"
    photos.mkdir()
    for i, size in enumerate([(40, 30), (36, 48), (50, 50)]):
        Image.effect_mandelbrot(size, (-2 + i * 0.1, -1.2, 1, 1.2), 30).convert("RGB").save(
            photos / f"{i}.jpg"
        )
    return weights, photos
