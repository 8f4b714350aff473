"""Export self-verification: onnx.checker, then onnxruntime (CPU) against torch on the same inputs.

Inputs: for each of two sizes, a batch of two images, uniform noise and a smooth "real-looking" image
(low-frequency colour fields with gradients, like a blurred photo), all float32 in [0, 1]. The worst
absolute difference of the [0, 1] outputs must be within tolerance (fp32 1/2550, fp16 1e-2).

Why a tenth of an 8-bit step for fp32: two correct float32 implementations differ by their rounding, and
that grows with the network's activations. For a fast-style network without norms after its encoder (the
2750-step starry snapshot, ``docs/shipped_models.md``) torch float32 itself is 1.8e-4 from torch float64 on
the smooth 128x160 input, so onnxruntime vs torch cannot be held to 1e-4 (the earlier tolerance). A tenth of
1/255 still catches a wrong graph (those differ by 1e-2 and more) and lets at most a tenth of the pixels move
by one 8-bit level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from i2i.errors import I2IError

TOLERANCE = {"fp32": 1 / 2550, "fp16": 1e-2}


@dataclass(frozen=True)
class Check:
    """One comparison: input kind, shape (N, C, H, W), max |onnxruntime - torch|."""

    kind: str
    shape: tuple[int, ...]
    max_abs_diff: float


@dataclass(frozen=True)
class Verification:
    precision: str
    tolerance: float
    checks: tuple[Check, ...]

    @property
    def max_abs_diff(self) -> float:
        return max(c.max_abs_diff for c in self.checks)

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.tolerance


def verification_sizes(multiple: int) -> list[tuple[int, int]]:
    """Two (H, W) sizes, both multiples of ``multiple``: a square one and a larger non-square one."""
    base = multiple * max(2, math.ceil(96 / multiple))
    step = multiple * max(1, math.ceil(32 / multiple))
    return [(base, base), (base + step, base + 2 * step)]


def smooth_image(channels: int, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth image (channels, h, w) in [0, 1]: a bilinearly upsampled 4x4 random grid plus a gradient."""
    grid = rng.random((channels, 4, 4)).astype(np.float32)
    ys = np.linspace(0, 3, h, dtype=np.float32)
    xs = np.linspace(0, 3, w, dtype=np.float32)
    y0, x0 = np.minimum(ys.astype(int), 2), np.minimum(xs.astype(int), 2)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = grid[:, y0][:, :, x0] * (1 - fx) + grid[:, y0][:, :, x0 + 1] * fx
    bottom = grid[:, y0 + 1][:, :, x0] * (1 - fx) + grid[:, y0 + 1][:, :, x0 + 1] * fx
    field = top * (1 - fy) + bottom * fy
    ramp = np.linspace(0.0, 0.2, w, dtype=np.float32)[None, None, :]
    return np.clip(0.8 * field + ramp, 0.0, 1.0).astype(np.float32)


def verification_inputs(multiple: int, channels: int, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """(label, batch) pairs: per size, a batch of [uniform noise, smooth image], float32 (2, C, H, W)."""
    rng = np.random.default_rng(seed)
    batches = []
    for h, w in verification_sizes(multiple):
        noise = rng.random((channels, h, w), dtype=np.float32)
        batches.append((f"{h}x{w}", np.stack([noise, smooth_image(channels, h, w, rng)])))
    return batches


def verify_export(
    path: Path, wrapper: nn.Module, multiple: int, channels: int, precision: str = "fp32"
) -> Verification:
    """Check the ONNX file at ``path`` and compare onnxruntime with ``wrapper`` (torch, fp32).

    Raises:
        I2IError: onnx.checker rejects the file or onnxruntime cannot run it.
    """
    import onnxruntime as ort

    from i2i.sessions.onnxruntime_session import session_options

    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as err:
        raise I2IError(f"exported model fails onnx.checker: {str(err).splitlines()[0]}") from None
    session = ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    checks = []
    for label, batch in verification_inputs(multiple, channels):
        with torch.no_grad():
            expected = wrapper(torch.from_numpy(batch)).numpy()
        (got,) = session.run(None, {input_name: batch})
        if got.shape != expected.shape:
            raise I2IError(f"onnxruntime output shape {got.shape} != torch {expected.shape} at {label}")
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        checks.append(Check("noise", batch[:1].shape, float(diff[0].max())))
        checks.append(Check("smooth", batch[1:].shape, float(diff[1].max())))
    return Verification(precision, TOLERANCE[precision], tuple(checks))
