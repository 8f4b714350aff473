"""Pick a runtime and a precision for an i2i export and open the session (torch-free).

``--runtime auto`` uses onnxruntime when a GPU provider (TensorRT, CUDA) is usable, else OpenVINO on the
CPU, else (OpenVINO not installed) onnxruntime on the CPU. ``--precision auto`` is bf16 with OpenVINO on
CPUs with AMX-BF16 / AVX512-BF16 (:func:`i2i.accel.cpu_has_fast_bf16`), fp16 with onnxruntime's TensorRT
provider, and fp32 elsewhere; a reduced precision is used only for a model that passes the quality gate
(:mod:`i2i.runtime.gate`), else the model runs fp32 and the reason is logged once, when it is measured.
An explicit precision is used as asked, without the gate. ``$I2I_RUNTIME`` (``onnxruntime`` or
``openvino``) replaces the automatic runtime choice for ``--runtime auto``.

int8 (OpenVINO only) runs the int8 file ``i2i export --int8`` made from the model (:mod:`i2i.runtime.int8`):
``--precision int8`` as asked; ``auto`` first, when that file passed its int8 gate and the CPU has
VNNI / AMX-INT8, else the choice above, with the reason int8 was passed over in ``gate_note``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from i2i.errors import I2IError

RUNTIMES = ("auto", "onnxruntime", "openvino")
RUNTIME_ENV = "I2I_RUNTIME"
PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")

Log = Callable[[str], None]
#: A TranslatorSession or an OpenVINOSession: ``info``, ``path``, ``provider``, ``providers``,
#: ``runtime``, ``version``, ``precision`` and ``__call__(batch) -> batch``.
Session = Any


def _gpu_usable(device: str) -> bool:
    from i2i.sessions.providers import CPU, requested_providers

    return any(name != CPU for name, _ in requested_providers(device))


def requested_runtime(runtime: str) -> str:
    """``runtime``, with ``auto`` replaced by ``$I2I_RUNTIME`` when that is set."""
    preferred = os.environ.get(RUNTIME_ENV, "").strip()
    if runtime != "auto" or not preferred:
        return runtime
    if preferred not in RUNTIMES[1:]:
        raise I2IError(f"{RUNTIME_ENV}={preferred!r}: choose one of {', '.join(RUNTIMES[1:])}")
    return preferred


def choose_runtime(runtime: str, device: str) -> str:
    """``onnxruntime`` or ``openvino`` for a ``--runtime`` / ``--device`` pair.

    Raises:
        I2IError: unknown runtime; openvino asked for but not installed, or asked for a GPU device.
    """
    from i2i.sessions.openvino_session import openvino_available

    if runtime not in RUNTIMES:
        raise I2IError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    runtime = requested_runtime(runtime)
    if runtime == "openvino":
        if device in ("cuda", "tensorrt"):
            raise I2IError(
                f"--runtime openvino runs on the CPU; --device {device} needs --runtime onnxruntime"
            )
        if not openvino_available():
            raise I2IError("--runtime openvino: the openvino package is not installed (pip install openvino)")
        return "openvino"
    if runtime == "onnxruntime" or device in ("cuda", "tensorrt"):
        return "onnxruntime"
    if device == "auto" and _gpu_usable(device):
        return "onnxruntime"
    return "openvino" if openvino_available() else "onnxruntime"


def auto_precision(runtime: str, provider: str) -> str:
    """The precision ``auto`` tries first (before the gate) for a runtime and the provider it runs on."""
    from i2i.accel import cpu_has_fast_bf16

    if runtime == "openvino":
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    return "fp16" if provider == "tensorrt" else "fp32"


def _cpu_key() -> str:
    from i2i.accel import cpu_info

    return f"cpu:{cpu_info().model}"


def _device_key(session: Session) -> str:
    return _cpu_key() if session.provider == "cpu" else session.provider


def open_session(
    path: str | Path,
    *,
    runtime: str = "auto",
    precision: str = "auto",
    device: str = "auto",
    threads: int | None = None,
    log: Log | None = None,
    shrink_arena: bool = False,
) -> Session:
    """Open ``path`` with the chosen runtime and precision.

    ``shrink_arena``: onnxruntime gives its CPU arena back after every call (for a long-running service).

    The session gets ``gate_note``: '' or a few words on why ``auto`` ended at fp32 (for the run summary).

    Raises:
        I2IError: unknown runtime/precision, an unavailable combination, or a model the runtime cannot load.
    """
    from i2i.sessions.onnxruntime_session import TranslatorSession
    from i2i.sessions.openvino_session import OpenVINOSession

    if precision not in PRECISIONS:
        raise I2IError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    runtime = requested_runtime(runtime)
    chosen = choose_runtime(runtime, device)
    int8_note = ""
    if precision == "int8" and chosen != "openvino":
        how = f"--runtime auto chose {chosen} here" if runtime == "auto" else f"not {chosen}"
        raise I2IError(f"--precision int8 runs with OpenVINO on the CPU ({how}); use --runtime openvino")
    if chosen == "openvino" and precision in ("auto", "int8"):
        from i2i.runtime.int8 import pick

        int8_file, int8_note = pick(Path(path), explicit=precision == "int8")
        if int8_file is not None:
            session = OpenVINOSession(int8_file, "int8", threads)
            session.gate_note = ""
            return session
    if chosen == "openvino":

        def make(p: str) -> Session:
            return OpenVINOSession(path, p, threads)
    else:

        def make(p: str) -> Session:
            return TranslatorSession(path, device, threads, precision=p, shrink_arena=shrink_arena)

    if precision != "auto":  # as asked, no gate
        session, note = make(precision), ""
    elif chosen == "openvino" and (known := _cached_pass(Path(path), make)) is not None:
        session, note = known, ""
    else:
        base = make("fp32")
        if chosen == "onnxruntime" and runtime == "auto" and base.provider == "cpu" and device == "auto":
            # a GPU provider was offered but onnxruntime fell back to the CPU: OpenVINO is faster there
            from i2i.sessions.openvino_session import openvino_available

            if openvino_available():
                return open_session(path, runtime="openvino", precision=precision, threads=threads, log=log)
        want = auto_precision(chosen, base.provider)
        session, note = (base, "") if want == "fp32" else _gated(base, make, want, log)
    session.gate_note = "; ".join(n for n in (int8_note, note) if n)
    return session


def _cached_pass(path: Path, make: Callable[[str], Session]) -> Session | None:
    """OpenVINO's reduced session when this file already passed the gate here, else ``None``.

    OpenVINO always runs on the CPU, so the gate's cache key is known before any session exists and a
    remembered pass skips compiling the fp32 model (about 0.2 s and its memory for a shipped model).
    """
    from i2i.runtime import gate
    from i2i.sessions.openvino_session import openvino_version
    from i2i.zoo.verify import file_sha256

    want = auto_precision("openvino", "cpu")
    if want == "fp32":
        return None
    key = gate.cache_key(file_sha256(path), "openvino", openvino_version(), want, _cpu_key())
    verdict = gate.cached_verdict(key)
    if verdict is None or not verdict.passed:
        return None
    try:
        return make(want)
    except I2IError:  # the fp32 path below reports why and runs fp32
        return None


def _gated(base: Session, make: Callable[[str], Session], want: str, log: Log | None) -> tuple[Session, str]:
    """A ``want`` session if the model passes the gate (measured now or cached), else (``base``, reason)."""
    from i2i.runtime import gate
    from i2i.zoo.verify import file_sha256

    sha = file_sha256(Path(base.path))
    key = gate.cache_key(sha, base.runtime, base.version, want, _device_key(base))
    verdict = gate.cached_verdict(key)
    if verdict is not None and not verdict.passed:
        return base, f"{want} failed the quality gate: {verdict.psnr:.1f} dB"
    try:
        reduced = make(want)
    except I2IError as err:
        if log:
            log(f"precision: {want} unavailable ({err}); running fp32")
        return base, f"{want} unavailable"
    if verdict is None:
        verdict = gate.measure(base, reduced, base.info, sha)
        gate.remember(key, verdict)
        if log:
            outcome = f"using {want}" if verdict.passed else "this model runs fp32"
            log(f"precision gate: {verdict.describe(want)}: {outcome} (remembered for this model here)")
    if verdict.passed:
        return reduced, ""
    return base, f"{want} failed the quality gate: {verdict.psnr:.1f} dB"


def describe_session(session: Session) -> str:
    """'openvino 2026.4.1 on cpu (Intel Xeon ... (AVX512-BF16)), bf16' for run summaries."""
    from i2i.accel import describe_cpu

    where = f"cpu ({describe_cpu()})" if session.provider == "cpu" else session.provider
    note = getattr(session, "gate_note", "")
    return f"{session.runtime} {session.version} on {where}, {session.precision}" + (
        f" ({note})" if note else ""
    )
