"""Pictures a run leaves behind: sample grids and loss curves, drawn with Pillow only (no plotting library).

Images handed to :func:`save_grid` are tensors (3, H, W) with values in [-1, 1] (the networks' range); they
are converted to uint8 here, once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from i2i.imageio import from_float_chw

_BG = (255, 255, 255)
_FG = (40, 40, 40)
_GRID = (225, 225, 225)
_COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75)]


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()


def tensor_to_pil(image: torch.Tensor) -> Image.Image:
    """(3, H, W) or (1, H, W) float tensor in [-1, 1] -> uint8 PIL image."""
    arr = ((image.detach().float().cpu().clamp(-1, 1) + 1.0) / 2.0).numpy()
    return from_float_chw(arr)


def make_grid(
    rows: Sequence[Sequence[torch.Tensor]], labels: Sequence[str] | None = None, pad: int = 2
) -> Image.Image:
    """A grid image: one row per example, one column per tensor, optional column labels on top.

    ``rows[i][j]`` is a (C, H, W) tensor in [-1, 1]; tiles of one column share a size, rows may differ.
    """
    tiles = [[tensor_to_pil(t) for t in row] for row in rows]
    n_cols = max(len(r) for r in tiles)
    col_w = [max(r[j].width for r in tiles if j < len(r)) for j in range(n_cols)]
    row_h = [max(t.height for t in r) for r in tiles]
    header = 14 if labels else 0
    width = sum(col_w) + pad * (n_cols + 1)
    height = header + sum(row_h) + pad * (len(tiles) + 1)
    canvas = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(canvas)
    if labels:
        x = pad
        for j, label in enumerate(labels[:n_cols]):
            draw.text((x + 2, 1), label, fill=_FG, font=_font())
            x += col_w[j] + pad
    y = header + pad
    for r, row in enumerate(tiles):
        x = pad
        for j, tile in enumerate(row):
            canvas.paste(tile, (x, y))
            x += col_w[j] + pad
        y += row_h[r] + pad
    return canvas


def save_grid(
    path: Path, rows: Sequence[Sequence[torch.Tensor]], labels: Sequence[str] | None = None
) -> Path:
    """Write :func:`make_grid` to ``path`` (PNG) atomically and return the path."""
    from i2i.imageio import write_image_atomic

    return write_image_atomic(make_grid(rows, labels), path, overwrite=True)


def _nice(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 10000:
        return f"{value:.3g}"
    return f"{value:.1e}"


def _panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    title: str,
    xs: np.ndarray,
    ys: np.ndarray,
    colour,
) -> None:
    left, top, right, bottom = box
    font = _font()
    draw.text((left + 4, top + 2), title, fill=_FG, font=font)
    pl, pt, pr, pb = left + 46, top + 16, right - 8, bottom - 16
    draw.rectangle((pl, pt, pr, pb), outline=_FG)
    finite = np.isfinite(ys)
    if finite.sum() == 0:
        return
    xs, ys = xs[finite], ys[finite]
    y_lo, y_hi = float(ys.min()), float(ys.max())
    if y_hi - y_lo < 1e-12:
        pad = 0.05 * abs(y_lo) if y_lo != 0 else 1.0
        y_lo, y_hi = y_lo - pad, y_hi + pad
    x_lo, x_hi = float(xs.min()), float(xs.max())
    if x_hi - x_lo < 1e-12:
        x_hi = x_lo + 1.0
    for frac in (0.25, 0.5, 0.75):
        gy = pb - frac * (pb - pt)
        draw.line((pl + 1, gy, pr - 1, gy), fill=_GRID)
    draw.text((left + 2, pt - 4), _nice(y_hi), fill=_FG, font=font)
    draw.text((left + 2, pb - 8), _nice(y_lo), fill=_FG, font=font)
    draw.text((pl, pb + 2), _nice(x_lo), fill=_FG, font=font)
    end = _nice(x_hi)
    draw.text((pr - 6 * len(end), pb + 2), end, fill=_FG, font=font)
    px = pl + (xs - x_lo) / (x_hi - x_lo) * (pr - pl)
    py = pb - (ys - y_lo) / (y_hi - y_lo) * (pb - pt)
    points = list(zip(px.tolist(), py.tolist(), strict=True))
    if len(points) == 1:
        x, y = points[0]
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=colour)
    else:
        draw.line(points, fill=colour, width=2)


def plot_curves(
    path: Path,
    records: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    x_key: str = "step",
    title: str = "",
    panel_size: tuple[int, int] = (300, 170),
    columns: int = 3,
) -> Path | None:
    """Draw one small line plot per key of ``records`` (dicts with ``x_key`` and numeric values) into a PNG.

    Returns the path, or None when there is nothing to plot yet.
    """
    keys = [k for k in keys if any(isinstance(r.get(k), int | float) for r in records)]
    if not keys:
        return None
    columns = max(1, min(columns, len(keys)))
    n_rows = math.ceil(len(keys) / columns)
    pw, ph = panel_size
    head = 16 if title else 0
    canvas = Image.new("RGB", (pw * columns, head + ph * n_rows), _BG)
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((4, 2), title, fill=_FG, font=_font())
    for i, key in enumerate(keys):
        pts = [
            (float(r[x_key]), float(r[key]))
            for r in records
            if isinstance(r.get(key), int | float) and isinstance(r.get(x_key), int | float)
        ]
        xs = np.array([p[0] for p in pts], dtype=np.float64)
        ys = np.array([p[1] for p in pts], dtype=np.float64)
        col, row = i % columns, i // columns
        box = (col * pw, head + row * ph, (col + 1) * pw, head + (row + 1) * ph)
        _panel(draw, box, key, xs, ys, _COLOURS[i % len(_COLOURS)])
    from i2i.imageio import write_image_atomic

    return write_image_atomic(canvas, path, overwrite=True)
