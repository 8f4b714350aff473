"""float16 weights and arithmetic with float32 inputs and outputs (onnxconverter-common)."""

from __future__ import annotations

import warnings

import onnx

from i2i.errors import I2IError


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """A float16 copy of ``model`` whose graph inputs and outputs stay float32 (Casts at the boundary)."""
    try:
        from onnxconverter_common import float16
    except ImportError:
        raise I2IError("--fp16 needs onnxconverter-common: pip install onnxconverter-common") from None
    with warnings.catch_warnings():  # "float32 number ... will be truncated": expected for tiny weights
        warnings.simplefilter("ignore", UserWarning)
        return float16.convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=False)
