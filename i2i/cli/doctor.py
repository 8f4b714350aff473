"""`i2i doctor`: what this install can do here, in one screen (or ``--json``).

Versions (i2i, Python, the runtimes, torch when the ``train`` extra is installed), the CPU features that
decide the fast paths (AVX2, AVX512-BF16, AMX, VNNI), the GPUs each framework sees, what the defaults
resolve to on this machine (``translate``'s runtime and precision, training's ``--amp auto``), the folders
i2i reads and writes, and which pretrained feature networks are already cached. It never downloads and
never fails because something is missing: a missing piece is a line that says so and how to get it.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

#: CPU flags worth reporting, by /proc/cpuinfo name -> the name people use.
_CPU_FLAGS = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX512-VNNI",
    "avx512_bf16": "AVX512-BF16",
    "amx_bf16": "AMX-BF16",
    "amx_int8": "AMX-INT8",
}
_TRAIN_EXTRA = 'not installed (pip install "i2i[train]")'


def register(app: typer.Typer) -> None:
    """Add the `doctor` command to the top-level app."""
    app.command("doctor")(doctor_command)


def _attempt(read: Callable[[], Any]) -> Any:
    """``read()``, or a one-line description of why it failed (doctor reports, it does not stop)."""
    try:
        return read()
    except Exception as err:
        return f"unavailable ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses the name, or a broken install
        return False


def _onnxruntime() -> dict[str, Any]:
    import onnxruntime as ort

    return {"version": ort.__version__, "providers": ort.get_available_providers()}


def _openvino() -> dict[str, Any] | str:
    if not _installed("openvino"):
        return "not installed (the default CPU runtime where its wheels exist: pip install openvino)"
    import openvino as ov

    return {"version": ov.__version__.split("-")[0], "devices": ov.Core().available_devices}


def _torch() -> dict[str, Any] | str:
    if not _installed("torch"):
        return _TRAIN_EXTRA
    import torch

    cuda = torch.cuda.is_available()
    info: dict[str, Any] = {"version": torch.__version__, "cuda": cuda}
    if cuda:
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_bf16"] = torch.cuda.is_bf16_supported()
    return info


def _torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _training_amp() -> str:
    if not _installed("torch"):
        return _TRAIN_EXTRA
    import torch

    from i2i.amp import Precision

    device = _torch_device()
    return f"{Precision(torch.device(device), 'auto').describe()} on {device}, gradients checked at run start"


def _optimisation_amp() -> str:
    if not _installed("torch"):
        return _TRAIN_EXTRA
    from i2i.amp import resolve_amp

    device = _torch_device()
    return f"{resolve_amp('auto', device).describe()} on {device}"


def _translate_default() -> str:
    from i2i.runtime.engine import auto_precision, choose_runtime
    from i2i.sessions.providers import SHORT_NAMES, requested_providers

    runtime = choose_runtime("auto", "auto")
    provider = "cpu" if runtime == "openvino" else SHORT_NAMES.get(requested_providers("auto")[0][0], "cpu")
    precision = auto_precision(runtime, provider)
    gate = (
        " if a model keeps >= 40 dB PSNR against fp32 (checked once per model)" if precision != "fp32" else ""
    )
    return f"{runtime} on {provider}, {precision}{gate}"


def _folders() -> dict[str, str]:
    from i2i.data.resolve import default_data_root
    from i2i.features.resolver import cache_dir
    from i2i.pins import lock_path
    from i2i.zoo.paths import user_models_dir, weights_dir

    return {
        "shipped models": str(weights_dir()),
        "your models": str(user_models_dir()),
        "datasets": str(default_data_root()),
        "feature weights": str(cache_dir()),
        "download pins": str(lock_path()),
    }


def _feature_weights() -> dict[str, str] | str:
    if not _installed("torch"):
        return _TRAIN_EXTRA
    from i2i.features.resolver import cache_dir
    from i2i.features.sources import backbone_sources

    folder = cache_dir()
    return {
        name: "cached" if (folder / source.filename).is_file() else "not cached (i2i models fetch-backbones)"
        for name, source in backbone_sources().items()
    }


def _models() -> str:
    from i2i.zoo import load_zoo

    zoo = load_zoo()
    return f"{len(zoo.shipped)} shipped ({', '.join(zoo.shipped)}), {len(zoo.user)} of yours"


def report() -> dict[str, Any]:
    """Everything ``i2i doctor`` shows, as plain data."""
    from i2i import __version__
    from i2i.accel import cpu_info
    from i2i.user_dirs import package_dir

    cpu = cpu_info()
    return {
        "i2i": {"version": __version__, "package": str(package_dir())},
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu": {
            "model": cpu.model,
            "features": [label for flag, label in _CPU_FLAGS.items() if flag in cpu.flags],
        },
        "onnxruntime": _attempt(_onnxruntime),
        "openvino": _attempt(_openvino),
        "torch": _attempt(_torch),
        "defaults": {
            "translate": _attempt(_translate_default),
            "train --amp auto": _attempt(_training_amp),
            "stylize/dream --amp auto": _attempt(_optimisation_amp),
        },
        "folders": _attempt(_folders),
        "feature weights": _attempt(_feature_weights),
        "named models": _attempt(_models),
    }


def _lines(data: Any, indent: int = 0) -> list[str]:
    pad = " " * indent
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines += _lines(value, indent + 2)
        else:
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"{pad}{key}: {text or '-'}")
    return lines


def doctor_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """What this install can do here: versions, CPU features, GPUs, defaults, folders, cached weights."""
    data = report()
    print(json.dumps(data, indent=2) if as_json else "\n".join(_lines(data)))
