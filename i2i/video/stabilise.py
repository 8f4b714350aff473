"""Temporal stabilisation of per-frame results, and the warping error that measures flicker.

Per-frame translation flickers: small changes of the input change the output's texture. Following the
blind temporal-consistency methods (Bonneel et al. 2015, "Blind Video Temporal Consistency"; Lai et al.
2018, "Learning Blind Video Temporal Consistency"), each result O_t is blended with the previous
*stabilised* result S_{t-1} warped onto frame t by the optical flow of the input frames, only where that
flow is reliable (mask M_t of :mod:`i2i.video.flow`):

    S_t = O_t + w M_t (warp_t(S_{t-1}) - O_t),      S_0 = O_0,

with w = :data:`WEIGHT`. Where the flow fails (occlusions, new content, a cut) the result is the model's
own. A scene cut (less than :data:`CUT_FRACTION` of the pixels reliable) starts afresh.

Warping error (Lai et al. 2018, Sec. 4.2), here as a mean absolute difference:

    E_warp = 1/(T-1) sum_{t>=1} [ sum_x M_t(x) |O_t(x) - warp_t(O_{t-1})(x)| / (3 sum_x M_t(x)) ],

over RGB in [0, 1], with flow and mask from the input frames. Lower is steadier; the input video's own
E_warp is the floor the flow allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from i2i.video.flow import FlowEstimator, Warp

#: How much of the warped previous result a reliable pixel keeps (docs/video.md, "Temporal stability":
#: the weight sweep on bikes.mp4; 0.9 stays within 7% on the wash-out check).
WEIGHT = 0.9
#: Below this fraction of reliable pixels, a frame starts a new shot (no blending).
CUT_FRACTION = 0.2


class Stabiliser:
    """``stabilise(output, warp)`` -> the stabilised result; call once per frame, in order.

    ``output``: float32 (H, W, 3) in [0, 1], the model's result for frame t; ``warp``: the
    :class:`~i2i.video.flow.Warp` from frame t-1 to t of the inputs (None: the first frame). Returns
    float32 (H, W, 3) in [0, 1].
    """

    def __init__(self, weight: float = WEIGHT) -> None:
        self.weight = weight
        self.previous: np.ndarray | None = None

    def __call__(self, output: np.ndarray, warp: Warp | None) -> np.ndarray:
        previous = self.previous
        usable = previous is not None and warp is not None and previous.shape == output.shape
        if not usable or warp.reliable < CUT_FRACTION:
            result = output
        else:
            # output + w M (warped - output), in place on the warped copy: one buffer, not four
            result = warp.apply(previous)
            result -= output
            result *= (self.weight * warp.mask)[..., None]
            result += output
        self.previous = result
        return result


def measure_warps(
    inputs: Iterable[np.ndarray], preset: str = "medium", max_side: int | None = None
) -> list[Warp | None]:
    """The warping error's flow and masks for ``inputs`` (uint8 (H, W, 3) RGB), one per frame (None for
    the first), to measure several outputs of the same frames without computing them again."""
    flow = FlowEstimator(preset, max_side)
    return [flow.step(rgb) for rgb in inputs]


def warping_error(
    inputs: Iterable[np.ndarray],
    outputs: Iterable[np.ndarray],
    preset: str = "medium",
    max_side: int | None = None,
    *,
    warps: Sequence[Warp | None] | None = None,
) -> float:
    """E_warp of ``outputs`` (float32 (H, W, 3) in [0, 1]) given ``inputs`` (uint8 (H, W, 3) RGB), with
    flow and masks from the inputs (module docstring). 0.0 for fewer than two frames. The flow is DIS
    ``medium`` at full size by default: a finer flow than the stabiliser's own (``medium`` at 320 px), so
    the measure favours it less (docs/video.md checks with Farneback flow too); ``warps`` (from
    :func:`measure_warps`) skips computing it."""
    if warps is None:
        warps = measure_warps(inputs, preset, max_side)
    total, count = 0.0, 0
    previous: np.ndarray | None = None
    for warp, out in zip(warps, outputs, strict=True):
        if warp is not None and previous is not None:
            weight = warp.mask.sum()
            if weight > 0:
                diff = np.abs(out - warp.apply(previous)).mean(axis=2)
                total += float((diff * warp.mask).sum() / weight)
                count += 1
        previous = out
    return total / count if count else 0.0
