"""Does an i2i ONNX export run? One tiny image through onnxruntime on the CPU before a model is registered
(torch-free).

A file whose header reads well can still fail when it runs: an operator the runtime does not know, a graph
whose input channels disagree with its header, a shape error deep inside. Registering it would only move
that failure to the first ``i2i translate``; checking here names the reason while the user still has the
file in hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from i2i.errors import I2IError, first_line
from i2i.modelfile import ModelInfo, min_side
from i2i.sessions.onnxruntime_session import TranslatorSession

_FIX = "re-export it from its checkpoint with `i2i export CHECKPOINT`"


def check_model_runs(path: Path, info: ModelInfo) -> None:
    """Load ``path`` with onnxruntime (CPU, one thread) and translate one grey image of the smallest size
    the model takes: (1, C_in, s, s) with s = :func:`~i2i.modelfile.min_side` of its size multiple,
    values 0.5. The output must be (1, C_out, s, s) and finite.

    Raises:
        I2IError: ``"<path>: cannot be registered: <reason>; <fix>"`` on any failure.
    """
    side = min_side(info.size_multiple)
    shape = (1, info.io.in_channels, side, side)
    expected = (1, info.io.out_channels, side, side)
    try:
        session = TranslatorSession(path, device="cpu", threads=1)
        out = session(np.full(shape, 0.5, dtype=np.float32))
    except I2IError as err:
        reason = str(err).removeprefix(f"{path}: ")
        raise I2IError(f"{path}: cannot be registered: {reason}; {_FIX}") from None
    except Exception as err:  # onnxruntime's own error types, on a graph that loads but cannot run
        first = first_line(err)
        reason = f"onnxruntime failed on a {side}x{side} test image ({first})"
        raise I2IError(f"{path}: cannot be registered: {reason}; {_FIX}") from None
    if out.shape != expected:
        raise I2IError(
            f"{path}: cannot be registered: a {side}x{side} test image came back as {tuple(out.shape)}, "
            f"not {expected} as its header says; {_FIX}"
        )
    if not np.isfinite(out).all():
        raise I2IError(f"{path}: cannot be registered: its output has NaN or infinite values; {_FIX}")
