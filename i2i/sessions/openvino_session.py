"""An OpenVINO session around an i2i export: float32 [0, 1] NCHW in, [0, 1] NCHW out (torch-free).

OpenVINO reads the same ``.onnx`` file as onnxruntime (no conversion step) and compiles it for the CPU.
Its CPU plugin runs convolutions in bfloat16 on AMX / AVX512-BF16 when asked with
``INFERENCE_PRECISION_HINT=bf16``; inputs and outputs stay float32. H and W stay dynamic, so one compiled
model serves every image size. The model header is read from ``metadata_props`` with :mod:`onnx`.

It also opens the int8 OpenVINO IR files (``.xml`` + ``.bin``) that ``i2i export --int8`` writes
(:mod:`i2i.quantize`): their convolutions are int8 (FakeQuantize ops the CPU plugin turns into VNNI / AMX
int8 kernels); the rest runs bf16 on CPUs with fast bf16, else float32. Such a file carries the i2i
metadata of the ONNX file it came from, plus how it was quantised, as JSON in its ``rt_info``
(:data:`IR_METADATA_KEY`, :func:`ir_metadata`).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from i2i.errors import I2IError, first_line
from i2i.modelfile import ModelInfo, model_info_from_metadata, read_model_info

#: i2i precision name -> OpenVINO ``INFERENCE_PRECISION_HINT`` value (int8: for the layers left unquantised;
#: bf16 where the CPU has fast bf16, see :func:`_hint`).
HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16", "int8": "f32"}
#: The ``rt_info`` key of an i2i OpenVINO IR file: JSON {metadata_props key: value} of its source ONNX file.
IR_METADATA_KEY = "i2i_metadata"
_FROM_OV = {"f32": "fp32", "float32": "fp32", "bf16": "bf16", "bfloat16": "bf16"}
_FROM_OV.update({"f16": "fp16", "float16": "fp16"})


def openvino_available() -> bool:
    """True when the ``openvino`` package can be imported."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def openvino_version() -> str:
    import openvino as ov

    return ov.get_version().split("-")[0]


def ir_metadata(model: Any, source: str) -> dict[str, str]:
    """The i2i metadata an OpenVINO IR model (``ov.Model``) carries in its ``rt_info`` (I2IError if none)."""
    try:
        text = model.get_rt_info([IR_METADATA_KEY]).astype(str)
        props = json.loads(text)
    except Exception:  # a missing key raises RuntimeError; bad JSON ValueError
        raise I2IError(f"{source}: not an i2i OpenVINO IR file (no '{IR_METADATA_KEY}' rt_info)") from None
    if not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values()):
        raise I2IError(f"{source}: i2i rt_info metadata is malformed")
    return props


def _hint(precision: str) -> str:
    if precision == "int8":
        from i2i.accel import cpu_has_fast_bf16

        return "bf16" if cpu_has_fast_bf16() else "f32"
    return HINTS[precision]


class OpenVINOSession:
    """A loaded i2i ONNX model compiled by OpenVINO for the CPU.

    ``session(batch)`` takes float32 (N, C_in, H, W) in [0, 1] with H, W multiples of
    ``info.size_multiple`` and returns float32 (N, C_out, H, W) clipped to [0, 1]. ``precision`` is what
    the compiled model actually computes in (``fp32``, ``bf16`` or ``fp16``; OpenVINO may run float32 when
    the CPU lacks the asked type), or ``int8`` for an int8 IR file (``path`` ending ``.xml``, whatever
    ``precision`` asked). Calls are thread-safe: each thread gets its own infer request.
    """

    runtime = "openvino"

    def __init__(self, path: str | Path, precision: str = "fp32", threads: int | None = None) -> None:
        import openvino as ov

        if precision not in HINTS:
            raise I2IError(f"unknown precision {precision!r} for openvino; valid: {', '.join(HINTS)}")
        self.path = Path(path)
        ir = self.path.suffix.lower() == ".xml"
        if not ir:
            if precision == "int8":
                raise I2IError(
                    f"{self.path}: int8 runs an int8 OpenVINO IR file (i2i export --int8), not ONNX"
                )
            self.info: ModelInfo = read_model_info(self.path)
        elif not self.path.is_file():
            raise I2IError(f"{self.path}: no such model file")
        config = {"PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        try:
            core = ov.Core()
            model = core.read_model(str(self.path))
            if ir:
                self.info = model_info_from_metadata(ir_metadata(model, str(self.path)), str(self.path))
                precision = "int8" if self.info.precision == "int8" else precision
            config["INFERENCE_PRECISION_HINT"] = _hint(precision)
            self._compiled = core.compile_model(model, "CPU", config)
        except I2IError:
            raise
        except Exception as err:  # OpenVINO raises RuntimeError with a multi-line report
            first = first_line(err)
            raise I2IError(f"{self.path}: openvino cannot load this model ({first})") from None
        used = str(self._compiled.get_property("INFERENCE_PRECISION_HINT"))
        self.precision = "int8" if precision == "int8" else _FROM_OV.get(used.lower(), precision)
        self.version = openvino_version()
        self.providers: list[str] = ["CPU"]
        self._local = threading.local()

    @property
    def provider(self) -> str:
        """Where the model runs: always ``cpu`` (this session compiles for OpenVINO's CPU plugin)."""
        return "cpu"

    def release_memory(self) -> None:
        """Free the intermediate buffers the compiled model keeps between calls (OpenVINO 2024+; a no-op on
        older versions). Only while no call is running; the next call allocates them again."""
        release = getattr(self._compiled, "release_memory", None)
        if callable(release):
            release()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.info.check_batch(batch)
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        feed = np.ascontiguousarray(batch, dtype=np.float32)
        request.infer({0: feed})
        out = np.array(request.get_output_tensor(0).data, dtype=np.float32, copy=True)
        return np.clip(out, 0.0, 1.0, out=out)
