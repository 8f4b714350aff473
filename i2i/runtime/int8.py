"""int8 model files beside an i2i ONNX export: where they are, what they record, and when ``--precision
auto`` uses one (torch-free; NNCF is needed only to make them, :mod:`i2i.quantize`).

``i2i export --int8`` writes ``MODEL.int8.xml`` + ``MODEL.int8.bin``, an OpenVINO IR whose convolutions
are int8, next to ``MODEL.onnx`` (for a model given by name: in ``$XDG_DATA_HOME/i2i/int8/``). Its
``rt_info`` holds the ONNX file's i2i metadata (precision ``int8``) plus :data:`INT8_KEY`, an
:class:`Int8Record` as JSON: quantiser and version, the source file's sha256, calibration image count and
folder hash, the layers kept in higher precision, and the PSNR of its output against fp32 on held-back
images.

The int8 gate (:func:`pick`): ``auto`` runs the int8 file when it was made from this very ONNX file (same
sha256), its recorded worst PSNR against fp32 is >= :data:`MIN_PSNR_DB`, and the CPU has int8 dot-product
units (AMX-INT8, AVX512-VNNI or AVX-VNNI; ``I2I_CPU_INT8=0``/``1`` overrides the detection). Otherwise
``auto`` goes on to bf16 / fp32 as before and the reason is one note on the run summary.
``--precision int8`` runs the file as asked, without the gate.

A registered model's int8 file beside its ONNX file (a shipped ``weights/NAME.int8.xml``) is pinned like
the ONNX file: the registry's ``int8`` table holds the sha256 of its ``.xml`` and ``.bin``, checked (cached
per file version) before OpenVINO reads it (:func:`pinned_problem`); an unpinned one beside a shipped model
is not used.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from i2i.errors import I2IError, first_line

#: The metadata key (inside the IR's i2i metadata) that holds the :class:`Int8Record` JSON.
INT8_KEY = "i2i.int8"
SUFFIX = ".int8.xml"
#: Worst PSNR (dB, [0, 1] images) of int8 vs fp32 output on the held-back images for ``auto`` to use int8:
#: an RMS difference under 1.8 % of the range (4.5 grey levels); bf16 must keep 40 dB (:mod:`.gate`).
MIN_PSNR_DB = 35.0
INT8_ENV = "I2I_CPU_INT8"
#: CPU flags with int8 dot products (``/proc/cpuinfo``), best first, with the names reports use.
INT8_FLAGS = {"amx_int8": "AMX-INT8", "avx512_vnni": "AVX512-VNNI", "avx_vnni": "AVX-VNNI"}


@dataclass(frozen=True)
class Int8Record:
    """How an int8 file was made. ``psnr_min`` / ``psnr_mean``: int8 vs fp32 output (both OpenVINO) on
    ``held_back_images`` images of the calibration folder that calibration did not see (on the calibration
    images themselves when ``held_back_images`` is 0); ``ignored``: layers kept in higher precision;
    ``side``: the long side the images were scaled to."""

    quantiser: str
    openvino: str
    source_sha256: str
    calibration_images: int
    calibration_sha256: str
    calibration_folder: str
    held_back_images: int
    side: int
    preset: str
    ignored: tuple[str, ...]
    psnr_min: float
    psnr_mean: float

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("psnr_min", "psnr_mean"):
            data[key] = None if math.isinf(data[key]) else round(data[key], 2)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str) -> Int8Record:
        try:
            data = json.loads(text)
            kwargs: dict[str, Any] = {f.name: data[f.name] for f in fields(cls)}
            kwargs["ignored"] = tuple(str(name) for name in kwargs["ignored"])
            for key in ("psnr_min", "psnr_mean"):
                kwargs[key] = math.inf if kwargs[key] is None else float(kwargs[key])
            for key in ("calibration_images", "held_back_images", "side"):
                kwargs[key] = int(kwargs[key])
            return cls(**kwargs)
        except (KeyError, TypeError, ValueError) as err:
            raise I2IError(f"{source}: the int8 record is malformed ({err})") from None

    @property
    def compared_on(self) -> str:
        """'8 held-back images' or '4 calibration images'."""
        count, kind = (
            (self.held_back_images, "held-back")
            if self.held_back_images
            else (self.calibration_images, "calibration")
        )
        return f"{count} {kind} image{'s' if count != 1 else ''}"

    def passed(self, threshold: float | None = None) -> bool:
        return self.psnr_min >= (MIN_PSNR_DB if threshold is None else threshold)

    def describe(self) -> str:
        """'int8 vs fp32 on 8 held-back images: PSNR 36.1 dB >= 35 (mean 38.0)'."""
        sign = ">=" if self.passed() else "<"
        return (
            f"int8 vs fp32 on {self.compared_on}: PSNR {self.psnr_min:.1f} dB {sign} {MIN_PSNR_DB:g} "
            f"(mean {self.psnr_mean:.1f})"
        )


def int8_flags() -> list[str]:
    """Report names of this CPU's int8 dot-product features ('AMX-INT8', 'AVX512-VNNI', 'AVX-VNNI')."""
    from i2i.accel import cpu_info

    flags = cpu_info().flags
    return [label for flag, label in INT8_FLAGS.items() if flag in flags]


def cpu_has_fast_int8() -> bool:
    """True when the CPU has AMX-INT8 or (AVX512-/AVX-)VNNI (or ``I2I_CPU_INT8`` says so)."""
    override = os.environ.get(INT8_ENV, "").strip()
    if override in ("0", "1"):
        return override == "1"
    return bool(int8_flags())


def user_int8_path(onnx_path: Path) -> Path:
    """Where int8 files of models given by name go: ``$XDG_DATA_HOME/i2i/int8/<stem>.int8.xml``."""
    from i2i.user_dirs import user_data_dir

    return user_data_dir("int8", Path(onnx_path).stem + SUFFIX)


def sibling_path(onnx_path: Path) -> Path:
    """``MODEL.int8.xml`` beside ``MODEL.onnx``."""
    return Path(onnx_path).with_name(Path(onnx_path).stem + SUFFIX)


def read_record(xml: Path) -> Int8Record:
    """The :class:`Int8Record` an int8 IR file carries (reads the IR with OpenVINO, compiles nothing).

    Raises:
        I2IError: not readable, not an i2i IR file, or no int8 record.
    """
    import openvino as ov

    from i2i.sessions.openvino_session import ir_metadata

    try:
        model = ov.Core().read_model(str(xml))
    except Exception as err:
        first = first_line(err)
        raise I2IError(f"{xml}: openvino cannot read this file ({first})") from None
    props = ir_metadata(model, str(xml))
    if INT8_KEY not in props:
        raise I2IError(f"{xml}: no int8 record ('{INT8_KEY}'); make it with `i2i export --int8`")
    return Int8Record.from_json(props[INT8_KEY], str(xml))


def pinned_problem(onnx_path: Path) -> str:
    """'' when the int8 file beside ``onnx_path`` may be read, else why not.

    A registered model's int8 file beside its ONNX file is checked against the sha256 of its ``.xml`` and
    ``.bin`` that the registry pins (``int8`` table, :class:`i2i.zoo.entry.Int8Pin`), like the ONNX file;
    one beside a shipped model that the registry does not pin is not used. Files beside unregistered ONNX
    files, and those in the user data folder, are the user's own and are not pinned."""
    from i2i.zoo.store import entry_for_file
    from i2i.zoo.verify import verify_int8

    entry = entry_for_file(onnx_path)
    if entry is None or (entry.int8 is None and entry.origin != "shipped"):
        return ""
    if entry.int8 is None:
        return f"int8 file {sibling_path(onnx_path).name} is not pinned in the registry of {entry.name!r}"
    try:
        verify_int8(entry)
    except I2IError as err:
        return f"int8 file unusable: {err}"
    return ""


def find_int8(onnx_path: Path) -> tuple[Path, Int8Record] | str:
    """(the int8 file made from this ONNX file, its record), or why none is used ('' when none exists).

    The ONNX file is hashed (sha256, cached per file version) only when an int8 file exists; a registered
    model's int8 file beside it must match the registry's pin first (:func:`pinned_problem`)."""
    from i2i.zoo.verify import file_sha256

    why = ""
    sibling = sibling_path(onnx_path)
    for candidate in dict.fromkeys((sibling, user_int8_path(onnx_path))):
        if not candidate.is_file():
            continue
        if candidate == sibling and (problem := pinned_problem(onnx_path)):
            why = problem
            continue
        try:
            record = read_record(candidate)
        except I2IError as err:
            why = f"int8 file unusable: {err}"
            continue
        if record.source_sha256 == file_sha256(onnx_path):
            return candidate, record
        why = f"int8 file {candidate.name} was made from another version of this model"
    return why


def pick(onnx_path: Path, *, explicit: bool) -> tuple[Path | None, str]:
    """The int8 file to run for ``onnx_path`` and a note ('' or one phrase on why int8 is not used).

    ``explicit`` (``--precision int8``): the file is run without the gate, and its absence is an error.

    Raises:
        I2IError: ``explicit`` and no usable int8 file.
    """
    found = find_int8(onnx_path)
    if isinstance(found, str):
        if explicit:
            reason = found or f"looked for {sibling_path(onnx_path)} and {user_int8_path(onnx_path)}"
            raise I2IError(
                f"--precision int8: no int8 file for {onnx_path.name} ({reason}); make one with "
                f"`i2i export --int8 --calibrate FOLDER {onnx_path}`"
            )
        return None, found
    path, record = found
    if explicit:
        return path, ""
    if not cpu_has_fast_int8():
        return None, "int8 file not used: this CPU has no VNNI / AMX-INT8"
    if not record.passed():
        db = f"{record.psnr_min:.1f} dB < {MIN_PSNR_DB:g}"
        return None, f"int8 failed its quality gate: {db} on {record.compared_on}"
    return path, ""
