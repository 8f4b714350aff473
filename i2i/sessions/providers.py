"""Which onnxruntime execution providers to ask for, with their options (torch-free).

``auto`` tries TensorRT, then CUDA, then CPU, but only offers the GPU providers when a CUDA driver can be
loaded, so a CPU-only machine with the onnxruntime-gpu wheel does not log a page of CUDA errors. Whatever
is asked for, onnxruntime may fall back silently: the session reports ``session.get_providers()`` and
:func:`check_provider` turns an unmet explicit request into an I2IError.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import sys
from pathlib import Path
from typing import Any

from i2i.errors import I2IError

DEVICES = ("auto", "cpu", "cuda", "tensorrt")

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"

#: Short names for reports.
SHORT_NAMES = {CPU: "cpu", CUDA: "cuda", TENSORRT: "tensorrt"}

ProviderList = list[tuple[str, dict[str, Any]]]


def _cuda_driver_present() -> bool:
    names = ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so")
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def _trt_cache_dir() -> Path:
    from i2i.user_dirs import user_cache_dir

    return user_cache_dir("tensorrt")


def provider_options(name: str) -> dict[str, Any]:
    """Options for one provider: CUDA uses heuristic cuDNN algorithm search (image sizes vary; exhaustive
    search costs ~0.6 s per new shape); TensorRT caches engines per shape on disk."""
    if name == CUDA:
        return {"cudnn_conv_algo_search": "HEURISTIC"}
    if name == TENSORRT:
        return {"trt_engine_cache_enable": True, "trt_engine_cache_path": str(_trt_cache_dir())}
    return {}


def _preload_gpu_libraries(ort: Any) -> None:
    """Let onnxruntime-gpu find the CUDA/cuDNN libraries installed as pip packages (the ones torch ships)."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
        preload()


def requested_providers(device: str, available: list[str] | None = None) -> ProviderList:
    """The providers (in priority order, with options) to request for ``device``.

    Raises:
        I2IError: unknown device, or a GPU device this onnxruntime build does not offer.
    """
    import onnxruntime as ort

    if device not in DEVICES:
        raise I2IError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    available = list(ort.get_available_providers()) if available is None else available
    if device == "cpu":
        wanted = [CPU]
    elif device == "auto":
        gpu = [p for p in (TENSORRT, CUDA) if p in available] if _cuda_driver_present() else []
        wanted = [*gpu, CPU]
    else:
        name = TENSORRT if device == "tensorrt" else CUDA
        if name not in available:
            raise I2IError(
                f"--device {device}: this onnxruntime build has no {name} "
                f"(available: {', '.join(available)}); install onnxruntime-gpu"
            )
        # TensorRT falls back to CUDA for the nodes it cannot take; CPU is the last resort.
        wanted = [TENSORRT, CUDA, CPU] if device == "tensorrt" else [CUDA, CPU]
        wanted = [p for p in wanted if p in available or p == CPU]
    if any(p != CPU for p in wanted):
        _preload_gpu_libraries(ort)
    return [(p, provider_options(p)) for p in wanted]


def check_provider(device: str, used: list[str]) -> None:
    """Raise I2IError when an explicit GPU request ended up elsewhere (onnxruntime fell back silently)."""
    wanted = {"cuda": CUDA, "tensorrt": TENSORRT}.get(device)
    if wanted is not None and (not used or used[0] != wanted):
        got = SHORT_NAMES.get(used[0], used[0]) if used else "nothing"
        raise I2IError(
            f"--device {device}: onnxruntime could not use {wanted} and fell back to {got} "
            "(no GPU, or CUDA/cuDNN/TensorRT libraries not found)"
        )
