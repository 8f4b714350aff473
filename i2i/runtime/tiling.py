"""Whole-image and tiled inference with reflect padding to the size multiple and crop back (torch-free).

``infer`` everywhere is a function float32 (N, C_in, h, w) in [0, 1] -> (N, C_out, h, w) in [0, 1] whose
h and w must be multiples of ``multiple`` (a :class:`~i2i.runtime.TranslatorSession` is one).

Tiling: instance-norm statistics differ per tile (colours shift, seams show), so tiles overlap and are blended
with feathered weights that ramp linearly from ~0 to 1 across the overlap on every side that has a neighbour
(image borders keep weight 1). The blend divides by the summed weights, so any per-pixel function of the input
is reproduced exactly and a constant image stays constant.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from i2i.errors import I2IError
from i2i.imageio import crop_to, pad_to_multiple
from i2i.modelfile import min_side

Infer = Callable[[np.ndarray], np.ndarray]


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def pad_for_model(image: np.ndarray, multiple: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflect-pad (..., H, W) to multiples of ``multiple`` and at least :func:`min_side` per side;
    returns ``(padded, (H, W))`` for :func:`~i2i.imageio.crop_to`."""
    return pad_to_multiple(image, multiple, min_size=min_side(multiple))


def translate_whole(infer: Infer, image: np.ndarray, multiple: int) -> np.ndarray:
    """One image (C, H, W) in [0, 1] -> (C_out, H, W): reflect-pad to ``multiple`` (and
    :func:`min_side`), infer, crop back."""
    padded, (h, w) = pad_for_model(image, multiple)
    return crop_to(infer(padded[None])[0], h, w)


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size ``tile`` covering ``length`` with at least ``overlap`` shared pixels;
    the last tile ends exactly at ``length``. One tile when ``length <= tile``."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    if stride < 1:
        raise I2IError(f"overlap {overlap} must be smaller than the tile size {tile}")
    starts = list(range(0, length - tile, stride))
    return [*starts, length - tile]


def feather(size: int, overlap: int, lead: bool, trail: bool) -> np.ndarray:
    """1-D blend weights (float32, ``size``): linear ramps (i + 0.5) / overlap over ``overlap`` pixels at
    the leading and/or trailing edge, 1 elsewhere."""
    w = np.ones(size, dtype=np.float32)
    n = min(overlap, size)
    if n > 0:
        ramp = (np.arange(n, dtype=np.float32) + 0.5) / n
        if lead:
            w[:n] = np.minimum(w[:n], ramp)
        if trail:
            w[size - n :] = np.minimum(w[size - n :], ramp[::-1])
    return w


def translate_tiled(
    infer: Infer, image: np.ndarray, multiple: int, tile: int, overlap: int, batch: int = 1
) -> np.ndarray:
    """One image (C, H, W) in [0, 1] -> (C_out, H, W), inferred in ``tile`` x ``tile`` windows.

    ``tile`` is rounded up to ``multiple``; ``batch`` tiles go through ``infer`` at once. Memory for the
    network scales with the tile, not the image; the blend buffers are float32 of the image size.
    """
    if tile < 1 or overlap < 0:
        raise I2IError(f"--tile must be positive and --overlap non-negative (got {tile}, {overlap})")
    tile = max(round_up(tile, multiple), min_side(multiple))
    padded, (h, w) = pad_for_model(image, multiple)
    hp, wp = padded.shape[-2:]
    th, tw = min(tile, hp), min(tile, wp)
    ys, xs = tile_starts(hp, th, overlap), tile_starts(wp, tw, overlap)
    windows = [(y, x) for y in ys for x in xs]
    acc: np.ndarray | None = None
    weight = np.zeros((hp, wp), dtype=np.float32)
    for i in range(0, len(windows), max(1, batch)):
        group = windows[i : i + max(1, batch)]
        out = infer(np.stack([padded[:, y : y + th, x : x + tw] for y, x in group]))
        if acc is None:
            acc = np.zeros((out.shape[1], hp, wp), dtype=np.float32)
        for (y, x), tile_out in zip(group, out, strict=True):
            wy = feather(th, overlap, lead=y > 0, trail=y + th < hp)
            wx = feather(tw, overlap, lead=x > 0, trail=x + tw < wp)
            wt = wy[:, None] * wx[None, :]
            acc[:, y : y + th, x : x + tw] += tile_out * wt
            weight[y : y + th, x : x + tw] += wt
    assert acc is not None  # at least one window always exists
    return crop_to(acc / weight, h, w)
