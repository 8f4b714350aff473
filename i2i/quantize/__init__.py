"""Post-training int8 quantisation of an i2i ONNX model with NNCF (torch-free; ``pip install 'i2i[int8]'``).

:func:`quantize_int8` reads the ONNX file with OpenVINO, lets NNCF (``nncf.quantize``) calibrate the
activation ranges on images of the model's input domain (a folder the user gives, else the model's bundled
samples), and writes an OpenVINO IR beside it: ``MODEL.int8.xml`` + ``.bin`` (:mod:`i2i.runtime.int8`
says where, what it records, and when ``--precision auto`` runs it).

- Held-back images: a quarter of the folder (at least one when it has two or more; chosen by file name,
  :func:`i2i.data.holdout.holdout_files`) is kept out of calibration; the int8 output is compared with
  the fp32 output (both OpenVINO) on those, and the worst and mean PSNR are recorded in the file. That is
  the int8 gate (:data:`i2i.runtime.int8.MIN_PSNR_DB`).
- What stays in higher precision: NNCF quantises the inputs and weights of the convolutions; the
  normalisation (instance / batch norm: OpenVINO ``MVN``), activations, resampling and the graph's [0, 1]
  wrapper run in bf16 (CPUs with fast bf16) or fp32. With ``keep="auto"`` the first and last convolutions
  are quantised too, unless the model misses the gate that way and keeping them in higher precision gives
  at least :data:`KEEP_GAIN_DB` more: then they are kept (``keep="edges"`` always keeps them,
  ``keep="none"`` never).
- Preset ``MIXED`` (symmetric weights, asymmetric activations): on the shipped apple2orange it keeps
  32 dB against 26 dB for NNCF's default symmetric preset, at the same speed (docs/int8.md).

Why an OpenVINO IR and not a QDQ ONNX file: OpenVINO is the CPU path, and on a full-width resnet_9blocks
the IR ran 2.16 images/s against 1.84 for NNCF's QDQ ONNX of the same model, and quantised in 49 s
against 68 s (benchmarks/int8.py, docs/int8.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from i2i.errors import I2IError, first_line
from i2i.files import sha256_file
from i2i.imageio import pad_to_multiple
from i2i.modelfile import PRECISION_KEY, read_model_info
from i2i.runtime.int8 import INT8_KEY, Int8Record, sibling_path

#: Images NNCF calibrates on at most, the share held back for the gate, and their long side.
CALIBRATION_IMAGES = 64
HELD_BACK = 0.25
SIDE = 256
#: How much better (dB) keeping the first and last convolutions must be for ``keep="auto"`` to keep them.
KEEP_GAIN_DB = 0.3
KEEPS = ("auto", "none", "edges")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
CONV_TYPES = ("Convolution", "ConvolutionBackpropData", "GroupConvolution")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Int8Result:
    """``path``: the ``.int8.xml`` written (its ``.bin`` beside it); ``record``: what it records;
    ``bytes``: size of both files."""

    path: Path
    record: Int8Record
    bytes: int


def nncf_version() -> str:
    """NNCF's version, or I2IError naming the extra when it is not installed."""
    try:
        import nncf
    except ImportError:
        raise I2IError(
            "int8 quantisation needs NNCF: pip install 'i2i[int8]' (or pip install nncf)"
        ) from None
    return str(nncf.__version__)


def calibration_files(folder: Path) -> list[Path]:
    """The image files of ``folder`` (not recursive), sorted by name."""
    if not folder.is_dir():
        raise I2IError(f"--calibrate {folder}: no such folder")
    found = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and p.name[0] != "."
    )
    if not found:
        raise I2IError(f"--calibrate {folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return found


def folder_digest(files: list[Path]) -> str:
    """sha256 over the files' names and contents (what a calibration used, independent of its path)."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(f"{path.name}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def split_images(files: list[Path], limit: int = CALIBRATION_IMAGES) -> tuple[list[Path], list[Path]]:
    """(calibration files, held-back files): :data:`HELD_BACK` of them held back by name when there are
    two or more, at most ``limit`` of each (a large folder costs no more than ``limit`` comparisons)."""
    from i2i.data.holdout import holdout_files

    held = holdout_files(files, HELD_BACK) if len(files) >= 2 else []
    left_out = set(held)
    return [p for p in files if p not in left_out][:limit], held[:limit]


def _batches(paths: list[Path], channels: int, multiple: int, side: int) -> list[np.ndarray]:
    from i2i.runtime.gate import image_inputs

    return [pad_to_multiple(img, multiple)[0][None] for img in image_inputs(paths, channels, side)]


@contextlib.contextmanager
def _one_line(what: str) -> Iterator[None]:
    """OpenVINO's and NNCF's multi-line reports as one I2IError line: ``what (first line)``."""
    try:
        yield
    except I2IError:
        raise
    except Exception as err:
        first = first_line(err)
        raise I2IError(f"{what} ({first})") from None


def _conv_names(model) -> list[str]:
    return [op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() in CONV_TYPES]


def _save(model, path: Path) -> None:
    """Write ``path`` (.xml) and its .bin; each file appears complete (written aside, then renamed)."""
    import openvino as ov

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".int8-") as tmp:
        staged = Path(tmp) / path.name
        ov.save_model(model, str(staged), compress_to_fp16=False)
        os.replace(staged.with_suffix(".bin"), path.with_suffix(".bin"))
        os.replace(staged, path)


def _psnrs(reference, candidate, batches: list[np.ndarray]) -> list[float]:
    from i2i.runtime.gate import psnr

    return [psnr(reference(b), candidate(b)) for b in batches]


def quantize_int8(
    model: Path,
    calibrate: Path | None = None,
    out: Path | None = None,
    *,
    images: int = CALIBRATION_IMAGES,
    side: int = SIDE,
    keep: str = "auto",
    overwrite: bool = False,
    threads: int | None = None,
    log: Log | None = None,
) -> Int8Result:
    """Quantise the i2i ONNX file ``model`` to int8 and write ``out`` (default ``MODEL.int8.xml`` beside it).

    ``calibrate``: a folder of input-domain images (default: the registered model's bundled samples);
    ``images``: calibration images at most; ``side``: their long side; ``keep``: ``auto`` | ``none`` |
    ``edges`` (first and last convolutions in higher precision; see the module docstring).

    Raises:
        I2IError: NNCF missing, not a float32 i2i ONNX file, no images, ``out`` exists (without
            ``overwrite``) or does not end in ``.xml``.
    """
    version = nncf_version()
    import nncf
    import onnx
    import openvino as ov

    from i2i.sessions.openvino_session import IR_METADATA_KEY, OpenVINOSession, openvino_version

    if keep not in KEEPS:
        raise I2IError(f"unknown keep {keep!r}; choose one of {', '.join(KEEPS)}")
    info = read_model_info(model)
    if info.precision != "fp32":
        raise I2IError(
            f"{model}: int8 quantisation starts from a float32 export, this one is {info.precision}"
        )
    out = Path(out) if out is not None else sibling_path(model)
    if out.suffix.lower() != ".xml":
        raise I2IError(f"{out}: an int8 file is an OpenVINO IR; name it *.int8.xml")
    if out.exists() and not overwrite:
        raise I2IError(f"{out} exists; pass --overwrite to replace it")
    sha = sha256_file(model)
    if calibrate is None:
        from i2i.runtime.gate import bundled_samples

        found = bundled_samples(sha)
        if found is None:
            raise I2IError(
                f"{model}: no bundled samples for this model; pass --calibrate FOLDER of its inputs"
            )
        calibrate = found[1]
    files = calibration_files(calibrate)
    calib_files, held_files = split_images(files, images)
    channels, multiple = info.io.in_channels, info.size_multiple
    calib = _batches(calib_files, channels, multiple, side)
    held = _batches(held_files, channels, multiple, side)
    held_count = len(held)  # 0 when none could be read: then the gate runs on the calibration images
    held = held or calib
    if not calib:
        raise I2IError(f"--calibrate {calibrate}: none of its images could be read")

    core = ov.Core()
    with _one_line(f"{model}: openvino cannot read this model"):
        source = core.read_model(str(model))
        onnx_props = {p.key: p.value for p in onnx.load(str(model), load_external_data=False).metadata_props}
    convs = _conv_names(source)
    reference = OpenVINOSession(model, "fp32", threads)
    out.parent.mkdir(parents=True, exist_ok=True)

    def attempt(kept: tuple[str, ...], target: Path) -> tuple[object, Int8Record]:
        scope = nncf.IgnoredScope(names=list(kept)) if kept else None
        with _one_line(f"{model}: NNCF could not quantise this model"):
            quantized = nncf.quantize(
                source.clone(),
                nncf.Dataset(calib),
                subset_size=len(calib),
                preset=nncf.QuantizationPreset.MIXED,
                **({"ignored_scope": scope} if scope else {}),
            )
        record = Int8Record(
            quantiser=f"nncf {version}",
            openvino=openvino_version(),
            source_sha256=sha,
            calibration_images=len(calib),
            calibration_sha256=folder_digest(calib_files),
            calibration_folder=calibrate.name,
            held_back_images=held_count,
            side=side,
            preset="mixed",
            ignored=kept,
            psnr_min=math.nan,
            psnr_mean=math.nan,
        )
        props = onnx_props | {PRECISION_KEY: "int8", INT8_KEY: record.to_json()}
        quantized.set_rt_info(json.dumps(props), [IR_METADATA_KEY])
        _save(quantized, target)
        scores = _psnrs(reference, OpenVINOSession(target, "int8", threads), held)
        finite = [s for s in scores if not math.isinf(s)]
        mean = float(np.mean(finite)) if finite else math.inf
        record = replace(record, psnr_min=min(scores), psnr_mean=mean)
        props[INT8_KEY] = record.to_json()
        quantized.set_rt_info(json.dumps(props), [IR_METADATA_KEY])
        return quantized, record

    edges = tuple(dict.fromkeys((convs[0], convs[-1]))) if convs else ()
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".int8-try-") as tmp:
        trial = Path(tmp) / out.name
        best, record = attempt(edges if keep == "edges" else (), trial)
        if log:
            log(f"int8 ({'first and last convolutions kept' if record.ignored else 'all convolutions'}): "
                f"{record.describe()}")  # fmt: skip
        if keep == "auto" and not record.passed() and edges:
            other, kept_record = attempt(edges, trial)
            better = kept_record.psnr_min >= record.psnr_min + KEEP_GAIN_DB
            if log:
                log(f"int8 (first and last convolutions kept): {kept_record.describe()}: "
                    f"{'kept' if better else 'no measurable gain, all int8'}")  # fmt: skip
            if better:
                best, record = other, kept_record
    _save(best, out)
    return Int8Result(out, record, out.stat().st_size + out.with_suffix(".bin").stat().st_size)
