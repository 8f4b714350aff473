"""Optical flow between consecutive input frames and where it can be trusted (OpenCV's DIS flow).

For frame t, :meth:`FlowEstimator.step` gives a :class:`Warp`: for every pixel x of frame t the point
x + b(x) of frame t-1 it came from (the backward flow b, as an absolute sampling map for ``cv2.remap``),
and a mask of the pixels where that is reliable: the forward-backward check of Sundaram et al. 2010 (used
by Ruder et al. 2016 and Lai et al. 2018),

    |b(x) + f(x + b(x))|^2 <= 0.01 (|b(x)|^2 + |f(x + b(x))|^2) + 0.5,

with f the forward flow from t-1 to t, and x + b(x) inside frame t-1. Occluded and disoccluded pixels
fail it. Flow is computed on the luma of the *input* frames (uint8), never on the outputs, so the
stabiliser and the warping error do not depend on the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from i2i.video.extra import import_cv2

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

#: The stabiliser's flow: DIS ``medium`` on luma scaled to 320 px on the long side (docs/video.md: on
#: bikes.mp4 it removes more flicker than ``fast`` at 320 px under both the DIS and an independent
#: Farneback measure; ``medium`` at 480 px scores better only under the DIS measure, for twice the cost).
STABILISER_FLOW: tuple[str, int | None] = ("medium", 320)


@dataclass(frozen=True)
class Warp:
    """Frame t-1 -> frame t. ``map``: float32 (H, W, 2), for each pixel of frame t the (x, y) in frame
    t-1 it comes from; ``mask``: float32 (H, W) in {0, 1}, 1 where the flow passed the check."""

    map: np.ndarray
    mask: np.ndarray

    @property
    def reliable(self) -> float:
        """The fraction of pixels whose flow passed the check (0..1)."""
        return float(self.mask.mean())

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Warp ``image`` of frame t-1 ((H, W) or (H, W, C) float32) onto frame t (bilinear; borders
        replicated, but those pixels are outside the mask)."""
        cv2 = import_cv2()
        return cv2.remap(image, self.map, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def luma(rgb: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) RGB -> uint8 (H, W) luma (BT.601 weights)."""
    return np.rint(rgb.astype(np.float32) @ _LUMA).astype(np.uint8)


def consistency_mask(
    backward: np.ndarray, forward: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(map, mask) from the backward flow b (t -> t-1) and forward flow f (t-1 -> t), both float32
    (H, W, 2) in pixels; ``grid`` is the (H, W, 2) pixel coordinates. See the module docstring."""
    cv2 = import_cv2()
    h, w = backward.shape[:2]
    where = grid + backward
    f_back = cv2.remap(forward, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # per component: numpy's sum over a last axis of length 2 costs several times these few passes
    (bx, by), (fx, fy), (wx, wy) = (np.moveaxis(a, 2, 0) for a in (backward, f_back, where))
    sx, sy = bx + fx, by + fy
    error = sx * sx + sy * sy
    bound = 0.01 * ((bx * bx + by * by) + (fx * fx + fy * fy)) + 0.5
    inside = (wx >= 0) & (wx <= w - 1) & (wy >= 0) & (wy <= h - 1)
    return where, ((error <= bound) & inside).astype(np.float32)


class FlowEstimator:
    """DIS optical flow on consecutive frames: ``step(rgb)`` -> :class:`Warp` from the previous frame
    (None for the first). ``preset``: ``ultrafast`` | ``fast`` | ``medium`` (OpenCV's DIS presets), or
    ``farneback`` (OpenCV's Farneback flow: another algorithm, for checking a measure made with DIS).

    ``max_side``: flow and check are computed on luma scaled down so its long side is at most this many
    pixels (area averaging), then the flow is scaled back up (bilinear, vectors multiplied by the factor)
    and the mask taken at the nearest pixel; None computes at full size. The defaults are the
    stabiliser's (:data:`STABILISER_FLOW`). At 640x272, on one OpenCV thread of an AVX2-only AMD EPYC, a
    frame (backward and forward flow, the check, the scaling back) costs about 4.3 ms with ``fast`` at 320
    px, 13 ms with ``medium`` at 320 px, 29 ms at 480 px and 51 ms at full size (docs/video.md).
    """

    PRESETS: ClassVar[dict[str, int]] = {"ultrafast": 0, "fast": 1, "medium": 2}

    def __init__(self, preset: str = STABILISER_FLOW[0], max_side: int | None = STABILISER_FLOW[1]) -> None:
        cv2 = import_cv2()
        if preset != "farneback" and preset not in self.PRESETS:
            raise ValueError(f"unknown flow preset {preset!r}")
        self.dis = None if preset == "farneback" else cv2.DISOpticalFlow_create(self.PRESETS[preset])
        self.max_side = max_side
        self.previous: np.ndarray | None = None
        self.grids: dict[tuple[int, int], np.ndarray] = {}

    def reset(self) -> None:
        self.previous = None

    def step(self, rgb: np.ndarray) -> Warp | None:
        """``rgb``: uint8 (H, W, 3), the next input frame."""
        grey = luma(rgb)
        h, w = grey.shape
        if self.max_side is not None and max(h, w) > self.max_side:
            scale = self.max_side / max(h, w)
            small = (max(8, round(w * scale)), max(8, round(h * scale)))
            grey = import_cv2().resize(grey, small, interpolation=import_cv2().INTER_AREA)
        previous, self.previous = self.previous, grey
        if previous is None or previous.shape != grey.shape:
            return None
        warp = self.between(previous, grey)
        return warp if grey.shape == (h, w) else self._upscale(warp, grey.shape, (h, w))

    def _upscale(self, warp: Warp, small: tuple[int, int], full: tuple[int, int]) -> Warp:
        cv2 = import_cv2()
        (hs, ws), (h, w) = small, full
        # vectors scaled before resizing (bilinear interpolation commutes with it): a quarter of the pixels
        flow = (warp.map - self._grid(hs, ws)) * np.array([w / ws, h / hs], dtype=np.float32)
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
        flow += self._grid(h, w)
        return Warp(flow, cv2.resize(warp.mask, (w, h), interpolation=cv2.INTER_NEAREST))

    def _grid(self, h: int, w: int) -> np.ndarray:
        """(H, W, 2) float32 pixel coordinates (x, y), kept for each size asked (a clip needs two: the
        flow's and the frames')."""
        if (h, w) not in self.grids:
            xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self.grids[h, w] = np.stack([xs, ys], axis=2)
        return self.grids[h, w]

    def flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """float32 (H, W, 2): for each pixel of uint8 (H, W) ``a``, its displacement to ``b``."""
        if self.dis is None:  # Farneback (pyramid 0.5 x 3 levels, 15 px window, 3 iterations, poly 5/1.2)
            return import_cv2().calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        return self.dis.calc(a, b, None)

    def between(self, previous: np.ndarray, current: np.ndarray) -> Warp:
        """The :class:`Warp` from uint8 (H, W) luma ``previous`` to ``current``."""
        backward = self.flow(current, previous)
        forward = self.flow(previous, current)
        where, mask = consistency_mask(backward, forward, self._grid(*current.shape))
        return Warp(where, mask)
