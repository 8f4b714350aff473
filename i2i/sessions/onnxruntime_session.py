"""An onnxruntime session around an i2i export: float32 [0, 1] NCHW in, [0, 1] NCHW out (torch-free)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from i2i.errors import I2IError, first_line
from i2i.modelfile import ModelInfo, model_info_from_metadata
from i2i.sessions.providers import CPU, CUDA, SHORT_NAMES, TENSORRT, check_provider, requested_providers


def session_options(threads: int | None = None, memory_arena: bool = True):  # -> onnxruntime.SessionOptions
    """All graph optimisations, quiet logging, ``threads`` intra-op threads (None: onnxruntime's default,
    one per physical core); ``memory_arena`` False turns the CPU memory arena off."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3  # errors only: fallbacks are reported by us, not by a wall of warnings
    if threads:
        so.intra_op_num_threads = int(threads)
    so.enable_cpu_mem_arena = memory_arena
    return so


def _fp16_model_bytes(path: Path) -> bytes:
    """A float16 copy of the ONNX graph at ``path`` (float32 inputs/outputs kept), serialised."""
    import warnings

    import onnx
    from onnxconverter_common import float16

    with warnings.catch_warnings():  # "float32 number ... will be truncated": expected for tiny weights
        warnings.simplefilter("ignore", UserWarning)
        model = float16.convert_float_to_float16(onnx.load(str(path)), keep_io_types=True)
    return model.SerializeToString()


class TranslatorSession:
    """A loaded i2i ONNX model.

    ``session(batch)`` takes float32 (N, C_in, H, W) in [0, 1] with H, W multiples of
    ``info.size_multiple`` and returns float32 (N, C_out, H, W) clipped to [0, 1].
    ``provider`` is the provider onnxruntime actually uses (``cpu``, ``cuda`` or ``tensorrt``).
    ``precision``: ``fp32`` (the default, the graph as exported) or ``fp16`` on a GPU (TensorRT builds fp16
    engines; CUDA runs a float16 copy of the graph with float32 inputs and outputs). onnxruntime has no
    bf16 path for these graphs: use :class:`~i2i.sessions.openvino_session.OpenVINOSession` for that.
    """

    runtime = "onnxruntime"

    def __init__(
        self,
        path: str | Path,
        device: str = "auto",
        threads: int | None = None,
        precision: str = "fp32",
        shrink_arena: bool = False,
    ) -> None:
        """``shrink_arena``: give CPU memory back after every call (a long-running service wants this; a
        folder run of same-size images does not). It turns onnxruntime's CPU memory arena off, so freed
        buffers go back to the C allocator, which the server trims; the arena's own shrink option left
        about 47 MiB behind after three 6 MP jobs, this leaves 1-2 MiB (benchmarks/serve_memory.py)."""
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise I2IError(f"{self.path}: no such model file")
        if precision not in ("fp32", "fp16"):
            raise I2IError(
                f"onnxruntime runs fp32 (or fp16 on a GPU), not {precision}; for bf16 use --runtime openvino"
            )
        if precision == "fp16" and device == "cpu":
            raise I2IError("--precision fp16 with onnxruntime needs a GPU (--device cuda or tensorrt)")
        providers = requested_providers(device)
        model: str | bytes = str(self.path)
        if precision == "fp16":
            providers = [
                (name, {**opts, "trt_fp16_enable": True} if name == TENSORRT else opts)
                for name, opts in providers
            ]
            if providers[0][0] == CUDA:
                model = _fp16_model_bytes(self.path)
        try:
            self._session = ort.InferenceSession(
                model,
                sess_options=session_options(threads, memory_arena=not shrink_arena),
                providers=[name for name, _ in providers],
                provider_options=[opts for _, opts in providers],
            )
        except Exception as err:  # onnxruntime raises its own Fail/InvalidGraph/... types
            first = first_line(err)
            raise I2IError(f"{self.path}: onnxruntime cannot load this model ({first})") from None
        self.providers: list[str] = list(self._session.get_providers())
        check_provider(device, self.providers)
        if precision == "fp16" and self.providers[0] == CPU:
            raise I2IError("--precision fp16 with onnxruntime needs a GPU, and none was usable")
        self.precision = precision
        self.version = ort.__version__
        meta = self._session.get_modelmeta().custom_metadata_map
        self.info: ModelInfo = model_info_from_metadata(dict(meta), source=str(self.path))
        self._input = self._session.get_inputs()[0].name
        self._output = self._session.get_outputs()[0].name

    @property
    def provider(self) -> str:
        """Short name of the provider that runs the model (the first one onnxruntime kept)."""
        return SHORT_NAMES.get(self.providers[0], self.providers[0])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.info.check_batch(batch)
        feed = np.ascontiguousarray(batch, dtype=np.float32)
        (out,) = self._session.run([self._output], {self._input: feed})
        return np.clip(out, 0.0, 1.0, out=out)
