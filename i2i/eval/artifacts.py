"""Artefact metrics that a mean error can hide: checkerboard patterns and black holes (numpy, torch-free).

Checkerboard score. Stride-2 transposed convolutions that do not divide their kernel evenly leave a periodic
pattern whose spectrum sits on the lattice of frequencies ``k / 4`` cycles per pixel (periods 2 and 4 pixels,
two up-sampling stages deep; Odena et al. 2016). For an image's luminance ``Y`` (H, W) in [0, 1] the
*checkerboard share* is

    share(Y) = sum_{f in L} |F(w * (Y - mean Y))|^2(f) / sum_{f != 0} |F(w * (Y - mean Y))|^2(f)

with ``F`` the 2-D DFT, ``w`` a separable Hann window (so the image border adds no spurious lines), and ``L``
the DFT bins within one bin of ``(fy, fx)`` in ``{0, 1/4, 1/2, 3/4}^2 \\ {(0, 0)}``. Natural images also have
some energy there, so a model is scored *relative to its input*: ``score = mean share(outputs) / mean
share(inputs)``, 1.0 meaning no more periodic energy than the input had.

Near-black share (fast style). Pixels whose maximum channel is below 25 (of 255) in the output, among the
pixels whose luminance is above 60 in the input: black holes where the photo was not dark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: ITU-R BT.601 luma weights (what PIL's "L" conversion uses).
LUMA = np.array([0.299, 0.587, 0.114])
PERIODS_FREQS = (0.0, 0.25, 0.5, 0.75)
NEAR_BLACK_MAX = 25
BRIGHT_INPUT_LUMA = 60


def luminance(image: np.ndarray) -> np.ndarray:
    """RGB (H, W, 3) uint8 in [0, 255] or float in [0, 1], or (3, H, W) float in [0, 1] -> luma (H, W)
    float64 in [0, 1]."""
    arr = np.asarray(image)
    if arr.ndim != 3:
        raise ValueError(f"expected an RGB image, got shape {arr.shape}")
    if arr.shape[0] == 3 and arr.shape[-1] != 3:
        arr = np.moveaxis(arr, 0, -1)
    scale = 255.0 if arr.dtype == np.uint8 else 1.0
    return (arr[..., :3].astype(np.float64) / scale) @ LUMA


def _lattice_mask(h: int, w: int) -> np.ndarray:
    """Boolean (H, W) mask of the DFT bins within one bin of the period-2/4 lattice, DC excluded."""
    mask = np.zeros((h, w), dtype=bool)
    for fy in PERIODS_FREQS:
        for fx in PERIODS_FREQS:
            if fy == 0.0 and fx == 0.0:
                continue
            cy, cx = round(fy * h), round(fx * w)
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    mask[(cy + dy) % h, (cx + dx) % w] = True
    mask[0, 0] = False
    return mask


def checkerboard_share(luma: np.ndarray) -> float:
    """Share of the windowed spectral energy (DC excluded) on the period-2/4 lattice; ``luma`` (H, W).

    Images smaller than 8 pixels on a side have no meaningful lattice and raise ValueError.
    """
    y = np.asarray(luma, dtype=np.float64)
    h, w = y.shape
    if min(h, w) < 8:
        raise ValueError(f"image too small for a checkerboard score: {h}x{w}")
    if np.ptp(y) < 1e-9:  # flat: only rounding noise is left after removing the mean
        return 0.0
    window = np.outer(np.hanning(h), np.hanning(w))
    energy = np.abs(np.fft.fft2((y - y.mean()) * window)) ** 2
    energy[0, 0] = 0.0
    return float(energy[_lattice_mask(h, w)].sum() / energy.sum())


def near_black_share(output: np.ndarray, source: np.ndarray) -> tuple[int, int]:
    """(near-black pixels, bright input pixels): output max channel < 25/255 where input luma > 60/255.

    ``output`` and ``source``: (H, W, 3) uint8 of the same size.
    """
    out = np.asarray(output)
    src = np.asarray(source)
    if out.shape != src.shape or out.dtype != np.uint8 or src.dtype != np.uint8:
        raise ValueError(f"need two uint8 RGB images of one size, got {out.shape} and {src.shape}")
    bright = luminance(src) * 255.0 > BRIGHT_INPUT_LUMA
    dark = out[..., :3].max(axis=-1) < NEAR_BLACK_MAX
    return int((bright & dark).sum()), int(bright.sum())


@dataclass(frozen=True)
class ArtefactScores:
    """Means over a set of (input, output) pairs. ``checkerboard`` = output share / input share."""

    images: int
    checkerboard_output: float
    checkerboard_input: float
    checkerboard: float
    near_black: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "images": self.images,
            "checkerboard": self.checkerboard,
            "checkerboard_output_share": self.checkerboard_output,
            "checkerboard_input_share": self.checkerboard_input,
            "near_black_share": self.near_black,
        }


def score_pairs(pairs: Iterable[tuple[np.ndarray, np.ndarray]], near_black: bool = False) -> ArtefactScores:
    """Artefact scores of ``(source, output)`` pairs: (H, W, 3) uint8 each, output the same size as source.

    ``near_black``: also count near-black pixels (pooled over all images: dark pixels / bright pixels).
    """
    out_shares, in_shares = [], []
    dark = bright = 0
    for source, output in pairs:
        if source.shape != output.shape:
            raise ValueError(f"output {output.shape} differs from input {source.shape}")
        in_shares.append(checkerboard_share(luminance(source)))
        out_shares.append(checkerboard_share(luminance(output)))
        if near_black:
            d, b = near_black_share(output, source)
            dark, bright = dark + d, bright + b
    if not out_shares:
        raise ValueError("no images to score")
    mean_out, mean_in = float(np.mean(out_shares)), float(np.mean(in_shares))
    return ArtefactScores(
        images=len(out_shares),
        checkerboard_output=mean_out,
        checkerboard_input=mean_in,
        checkerboard=mean_out / mean_in if mean_in > 0 else float("inf"),
        near_black=(dark / bright if bright else 0.0) if near_black else None,
    )
