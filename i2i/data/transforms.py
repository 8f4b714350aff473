"""Paired-consistent image transforms (resize, crop, flip, pad) driven by an explicit ``random.Random``.

Every random choice is drawn once per example by :func:`sample_params` and then applied identically to every
image of the example (:func:`apply_paired`), so the input and target of an aligned pair get the same crop
and flip. Nothing here touches a global RNG, and nothing here imports torch.

Pre-processing modes (``TransformSpec.preprocess``), in training (``train=True``):

==========================  ====================================================================
``resize_and_crop``         resize to ``load_size`` x ``load_size``, random ``crop_size`` crop
``crop``                    random ``crop_size`` crop at the native scale
``scale_width``             scale so width = ``load_size`` (aspect kept, height >= ``crop_size``)
``scale_width_and_crop``    ``scale_width``, then a random ``crop_size`` square crop
``none``                    no resize, no crop: only padding to ``pad_multiple`` (reflect)
==========================  ====================================================================

then a horizontal flip with probability 0.5 when ``flip`` is set. In evaluation (``train=False``) nothing is
random: ``resize_and_crop`` resizes to ``crop_size`` x ``crop_size``; ``scale_width`` scales the width to
``crop_size`` keeping the aspect ratio; ``scale_width_and_crop`` scales the width to ``crop_size`` and takes
the centre square; ``crop`` and ``none`` keep the native size. ``pad_multiple`` (if set) then pads every
image at the bottom and right by reflection, in every mode; images are never resized to reach a multiple.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from PIL import Image

from i2i.errors import I2IError
from i2i.imageio import pad_to_multiple

__all__ = [
    "PREPROCESS_MODES",
    "Preprocess",
    "TransformParams",
    "TransformSpec",
    "apply_paired",
    "apply_params",
    "example_rng",
    "pad_image",
    "sample_params",
]

Preprocess = Literal["resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"]
PREPROCESS_MODES: tuple[str, ...] = get_args(Preprocess)

_RESAMPLE = Image.Resampling.BICUBIC


@dataclass(frozen=True)
class TransformSpec:
    """How training/evaluation images are brought to network size (pix2pix/CycleGAN defaults).

    Attributes:
        load_size: side images are resized (or width scaled) to before a random crop, in training.
        crop_size: side of the square crop fed to the network; also the eval resize target.
        flip: random horizontal flip (p = 0.5) in training.
        preprocess: one of :data:`PREPROCESS_MODES` (see the module docstring).
        pad_multiple: if set, pad H and W up to a multiple of this by reflection (bottom/right).
    """

    load_size: int = 286
    crop_size: int = 256
    flip: bool = True
    preprocess: Preprocess = "resize_and_crop"
    pad_multiple: int | None = None

    def __post_init__(self) -> None:
        if self.preprocess not in PREPROCESS_MODES:
            raise I2IError(
                f"unknown preprocess {self.preprocess!r}; choose one of {', '.join(PREPROCESS_MODES)}"
            )
        if self.load_size < 1 or self.crop_size < 1:
            raise I2IError(
                f"load_size and crop_size must be positive, got {self.load_size} and {self.crop_size}"
            )
        if self.preprocess in ("resize_and_crop", "scale_width_and_crop") and self.crop_size > self.load_size:
            raise I2IError(
                f"crop_size ({self.crop_size}) is larger than load_size ({self.load_size}) "
                f"for preprocess {self.preprocess!r}"
            )
        if self.pad_multiple is not None and self.pad_multiple < 1:
            raise I2IError(f"pad_multiple must be a positive integer, got {self.pad_multiple}")


@dataclass(frozen=True)
class TransformParams:
    """The concrete choices for one example: resize target ``(w, h)``, crop box ``(left, top, w, h)``
    (after the resize), horizontal flip."""

    resize: tuple[int, int] | None
    crop: tuple[int, int, int, int] | None
    flip: bool


def example_rng(seed: int, epoch: int, index: int) -> random.Random:
    """A ``random.Random`` determined by ``(seed, epoch, index)`` alone.

    The three integers are hashed (BLAKE2b), so the stream is the same in any process, worker or resumed
    run, and neighbouring indices or epochs do not get correlated streams.
    """
    digest = hashlib.blake2b(f"i2i:{int(seed)}:{int(epoch)}:{int(index)}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _scaled_width_size(size: tuple[int, int], target_w: int, min_h: int) -> tuple[int, int]:
    w, h = size
    return target_w, max(min_h, round(target_w * h / w))


def _random_crop(size: tuple[int, int], crop: int, rng: random.Random) -> tuple[int, int, int, int]:
    w, h = size
    if w < crop or h < crop:
        raise I2IError(
            f"image is {w}x{h}, smaller than crop_size {crop}; "
            "use a smaller crop size or a preprocess mode that resizes"
        )
    return rng.randint(0, w - crop), rng.randint(0, h - crop), crop, crop


def sample_params(
    spec: TransformSpec, size: tuple[int, int], rng: random.Random, *, train: bool = True
) -> TransformParams:
    """Draw the resize/crop/flip for an image of ``size = (width, height)``.

    In evaluation (``train=False``) ``rng`` is not used and the result is deterministic.
    """
    mode = spec.preprocess
    resize: tuple[int, int] | None = None
    crop: tuple[int, int, int, int] | None = None
    if mode == "resize_and_crop":
        if train:
            resize = (spec.load_size, spec.load_size)
            crop = _random_crop(resize, spec.crop_size, rng)
        else:
            resize = (spec.crop_size, spec.crop_size)
    elif mode == "crop":
        if train:
            crop = _random_crop(size, spec.crop_size, rng)
    elif mode in ("scale_width", "scale_width_and_crop"):
        target = spec.load_size if train else spec.crop_size
        # Height is kept >= crop_size where a crop follows or in training (as the reference does);
        # evaluation with plain scale_width keeps the aspect ratio exactly.
        clamp = train or mode == "scale_width_and_crop"
        resize = _scaled_width_size(size, target, spec.crop_size if clamp else 1)
        if mode == "scale_width_and_crop":
            if train:
                crop = _random_crop(resize, spec.crop_size, rng)
            else:
                top = (resize[1] - spec.crop_size) // 2
                crop = (0, top, spec.crop_size, spec.crop_size)
    flip = bool(train and spec.flip and rng.random() < 0.5)
    return TransformParams(resize=resize, crop=crop, flip=flip)


def pad_image(img: Image.Image, multiple: int) -> Image.Image:
    """Reflect-pad a PIL image at the bottom/right to a multiple of ``multiple`` (no resize)."""
    arr = np.asarray(img)
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    padded, _ = pad_to_multiple(chw, multiple, mode="reflect")
    out = padded[0] if arr.ndim == 2 else padded.transpose(1, 2, 0)
    return Image.fromarray(np.ascontiguousarray(out), mode=img.mode)


def apply_params(img: Image.Image, params: TransformParams, spec: TransformSpec) -> Image.Image:
    """Apply one example's resize, crop, flip and padding to one image."""
    if params.resize is not None and img.size != params.resize:
        img = img.resize(params.resize, _RESAMPLE)
    if params.crop is not None:
        left, top, cw, ch = params.crop
        img = img.crop((left, top, left + cw, top + ch))
    if params.flip:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if spec.pad_multiple is not None:
        img = pad_image(img, spec.pad_multiple)
    return img


def apply_paired(
    images: Sequence[Image.Image], spec: TransformSpec, rng: random.Random, *, train: bool = True
) -> list[Image.Image]:
    """Apply the SAME resize/crop/flip/pad to every image of one example.

    The parameters are sampled once from ``rng`` (from the first image's size). Images of different sizes
    are allowed only when the mode resizes them to a common size (``resize_and_crop``); otherwise the
    crop would not line up and an :class:`I2IError` says so.
    """
    if not images:
        return []
    first = images[0].size
    if spec.preprocess != "resize_and_crop":
        for im in images[1:]:
            if im.size != first:
                raise I2IError(
                    f"paired images differ in size ({first[0]}x{first[1]} vs {im.size[0]}x{im.size[1]}); "
                    f"preprocess {spec.preprocess!r} cannot align them (resize_and_crop can)"
                )
    params = sample_params(spec, first, rng, train=train)
    return [apply_params(im, params, spec) for im in images]
