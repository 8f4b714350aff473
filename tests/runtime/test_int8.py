"""int8: `i2i export --int8` (NNCF) writes a self-describing OpenVINO IR, its output stays close to fp32, and
``--precision auto`` runs it only when its recorded gate passes on a CPU with int8 units."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2i.errors import I2IError
from i2i.files import sha256_file
from i2i.runtime import engine, gate, int8

pytest.importorskip("nncf", reason="the int8 extra (pip install 'i2i[int8]') is not installed")

# OpenVINO runs only in forked children or subprocesses here (tests/runtime/test_engine.py says why).
pytestmark = pytest.mark.isolated

CALIBRATION = 8  # images: 2 held back (a quarter, by name), 6 calibrate


@dataclass(frozen=True)
class Quantised:
    onnx: Path
    xml: Path
    folder: Path
    stdout: str


def _calibration_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for i, image in enumerate(gate.synthetic_inputs(3, count=CALIBRATION, side=40)):
        pixels = (image.transpose(1, 2, 0) * 255).round().astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"img{i}.png")
    return folder


@pytest.fixture(scope="module")
def quantised(local_model, tmp_path_factory) -> Quantised:
    """`i2i export --int8 --calibrate` on the small conv net, run in a fresh interpreter (so this process
    never runs OpenVINO before the isolated tests fork) where torch cannot be imported, as in the torch-free
    install (NNCF would otherwise load it)."""
    tmp = tmp_path_factory.mktemp("int8")
    onnx = tmp / "local.onnx"
    shutil.copy(local_model.path, onnx)
    folder = _calibration_folder(tmp / "calib")
    argv = ["export", str(onnx), "--int8", "--calibrate", str(folder), "--int8-keep", "none"]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['torch'] = None; from i2i.cli.main import run; sys.argv[1:] = "
            + repr(argv)
            + "; run()",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "XDG_CACHE_HOME": str(tmp / "cache"),
            "XDG_DATA_HOME": str(tmp / "data"),
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Quantised(onnx, tmp / "local.int8.xml", folder, done.stdout + done.stderr)


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("I2I_RUNTIME", raising=False)  # tests/conftest.py pins onnxruntime
    monkeypatch.setenv("I2I_CPU_BF16", "0")  # the fallback is fp32: no bf16 gate to measure
    monkeypatch.setenv("I2I_CPU_INT8", "1")


def test_the_int8_file_records_how_it_was_made(quantised):
    from i2i.quantize import folder_digest, split_images

    record = int8.read_record(quantised.xml)
    calib, held = split_images(sorted(quantised.folder.glob("*.png")))
    assert (len(calib), len(held)) == (6, 2)
    assert record.quantiser.startswith("nncf ") and record.preset == "mixed" and record.ignored == ()
    assert record.source_sha256 == sha256_file(quantised.onnx)
    assert (record.calibration_images, record.held_back_images, record.side) == (6, 2, 256)
    assert record.calibration_sha256 == folder_digest(calib) and record.calibration_folder == "calib"
    assert record.psnr_min >= int8.MIN_PSNR_DB and record.psnr_mean >= record.psnr_min
    assert quantised.xml.with_suffix(".bin").is_file()
    assert f"gate: {record.describe()}: `--precision auto` runs it" in quantised.stdout


def test_int8_output_is_close_to_fp32_and_keeps_the_model_header(quantised):
    from i2i.sessions.openvino_session import OpenVINOSession

    fp32 = OpenVINOSession(quantised.onnx, "fp32")
    q = OpenVINOSession(quantised.xml)  # an int8 file runs int8 whatever was asked
    assert q.precision == "int8" and q.info.precision == "int8"
    assert (q.info.arch, q.info.io, q.info.name) == (fp32.info.arch, fp32.info.io, fp32.info.name)
    x = gate.synthetic_inputs(3, count=3, side=48)[2][None]  # not a calibration image
    out = q(x)
    assert out.shape == x.shape and out.dtype == np.float32
    assert gate.psnr(fp32(x), out) > 33.0
    assert gate.psnr(fp32(x), np.clip(fp32(x) + 0.05, 0, 1)) < 30.0  # the figure can fail


def test_auto_runs_int8_only_when_its_gate_passes(quantised, monkeypatch):
    session = engine.open_session(quantised.onnx, runtime="openvino")
    assert session.precision == "int8" and session.path == quantised.xml and session.gate_note == ""
    assert engine.describe_session(session).endswith(", int8")

    monkeypatch.setattr(int8, "MIN_PSNR_DB", 99.0)  # the same file against a gate it cannot pass
    rejected = engine.open_session(quantised.onnx, runtime="openvino")
    record = int8.read_record(quantised.xml)
    assert rejected.precision == "fp32" and rejected.path == quantised.onnx
    assert (
        rejected.gate_note
        == f"int8 failed its quality gate: {record.psnr_min:.1f} dB < 99 on 2 held-back images"
    )
    forced = engine.open_session(quantised.onnx, runtime="openvino", precision="int8")  # as asked: no gate
    assert forced.precision == "int8"


def test_auto_skips_int8_without_int8_units_and_says_why(quantised, monkeypatch):
    monkeypatch.setenv("I2I_CPU_INT8", "0")
    session = engine.open_session(quantised.onnx, runtime="openvino")
    assert (
        session.precision == "fp32"
        and session.gate_note == "int8 file not used: this CPU has no VNNI / AMX-INT8"
    )


def test_an_int8_file_of_another_model_version_is_not_used(quantised, tmp_path):
    import onnx

    changed = tmp_path / "local.onnx"
    model = onnx.load(str(quantised.onnx))
    model.doc_string = "retrained"
    onnx.save(model, str(changed))
    shutil.copy(quantised.xml, tmp_path / "local.int8.xml")
    shutil.copy(quantised.xml.with_suffix(".bin"), tmp_path / "local.int8.bin")
    session = engine.open_session(changed, runtime="openvino")
    assert session.precision == "fp32"
    assert session.gate_note == "int8 file local.int8.xml was made from another version of this model"
    with pytest.raises(I2IError, match="made from another version"):
        engine.open_session(changed, runtime="openvino", precision="int8")


def test_int8_without_a_file_or_without_openvino_is_one_clear_error(local_model):
    with pytest.raises(I2IError, match=r"no int8 file for local.onnx .*i2i export --int8 --calibrate FOLDER"):
        engine.open_session(local_model.path, runtime="openvino", precision="int8")
    with pytest.raises(I2IError, match="--precision int8 runs with OpenVINO"):
        engine.open_session(local_model.path, runtime="onnxruntime", precision="int8", device="cpu")
    auto = engine.open_session(local_model.path, runtime="openvino")  # no int8 file: no note about it
    assert auto.precision == "fp32" and auto.gate_note == ""


def test_record_round_trip_and_gate_threshold():
    record = int8.Int8Record(
        quantiser="nncf 3.4.0", openvino="2026.4.1", source_sha256="0" * 64, calibration_images=1,
        calibration_sha256="1" * 64, calibration_folder="x", held_back_images=0, side=256, preset="mixed",
        ignored=("conv_a", "conv_b"), psnr_min=math.inf, psnr_mean=math.inf,
    )  # fmt: skip
    assert int8.Int8Record.from_json(record.to_json(), "t") == record
    assert record.compared_on == "1 calibration image" and record.passed()
    far = int8.Int8Record(**{**record.__dict__, "psnr_min": 28.0, "psnr_mean": 30.0})
    assert (
        not far.passed()
        and far.describe() == "int8 vs fp32 on 1 calibration image: PSNR 28.0 dB < 35 (mean 30.0)"
    )
    with pytest.raises(I2IError, match="int8 record is malformed"):
        int8.Int8Record.from_json(json.dumps({"quantiser": "nncf"}), "t")


def test_export_int8_option_errors(local_model, tmp_path):
    from typer.testing import CliRunner

    from i2i.cli.main import app

    def error(*args: str) -> str:
        result = CliRunner().invoke(app, ["export", str(local_model.path), *args])
        assert isinstance(result.exception, I2IError), result.output
        return str(result.exception)

    assert error("--calibrate", str(tmp_path)) == "--calibrate goes with --int8"
    assert error("--int8", "--fp16") == "--int8 quantises a float32 export; leave out --fp16"
    missing = tmp_path / "no"
    assert error("--int8", "--calibrate", str(missing)) == f"--calibrate {missing}: no such folder"


def test_translate_and_stylize_accept_precision_int8(quantised, tmp_path):
    """`--precision int8` is one of the generated choices of translate (run here, in a subprocess) and of
    serve and `stylize --model` (their option dataclasses share translate's choice)."""
    from i2i.optimize.stylize_options import FastStyleRun
    from i2i.runtime.translate_options import Precision
    from i2i.serve.settings import ServeOptions

    for options in (FastStyleRun, ServeOptions):
        assert typing.get_type_hints(options)["precision"] is Precision and Precision("int8")
    photo = quantised.folder / "img0.png"
    argv = ["translate", "-m", str(quantised.onnx), str(photo), str(tmp_path / "out"), "--precision", "int8"]
    done = subprocess.run(
        [sys.executable, "-c", "from i2i.cli.main import run; run()", *argv, "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "int8" in done.stderr + done.stdout and (tmp_path / "out" / "img0.png").is_file()


def test_held_back_share_is_capped_and_quantiser_errors_are_one_line(tmp_path):
    """A large calibration folder holds back at most ``limit`` files (each costs an fp32 and an int8 run),
    never one that calibrates; OpenVINO's multi-line reports become one line."""
    from i2i.quantize import _one_line, split_images

    files = [tmp_path / f"{i:04d}.png" for i in range(1000)]
    calib, held = split_images(files, limit=64)
    assert len(calib) == 64 and 0 < len(held) <= 64 and not set(calib) & set(held)
    with pytest.raises(I2IError) as caught, _one_line("m.onnx: openvino cannot read this model"):
        raise RuntimeError("Exception from src/core.cpp:99:\nmore\nlines")
    assert str(caught.value) == "m.onnx: openvino cannot read this model (Exception from src/core.cpp:99:)"
