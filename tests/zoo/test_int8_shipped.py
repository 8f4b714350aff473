"""Shipped int8 files (``weights/NAME.int8.xml`` + ``.bin``, pinned by the registry's ``int8`` table): the
pin's schema, each shipped file's sha256, size and record, and that ``--precision auto`` runs it for the
name resolved from the registry only while both files match their pinned sha256."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import i2i
from i2i.errors import I2IError
from i2i.zoo.entry import parse_entry
from i2i.zoo.paths import REGISTRY_FILE
from i2i.zoo.store import load_shipped

REGISTRY = Path(i2i.__file__).resolve().parents[1] / "weights" / REGISTRY_FILE
SHA = "0" * 64
BASE = {
    "file": "m.onnx",
    "sha256": SHA,
    "task": "pix2pix",
    "arch": "unet_128",
    "size_multiple": 128,
    "licence": "MIT",
}


def _pinned() -> list:
    try:
        names = [name for name, entry in load_shipped(REGISTRY).items() if entry.int8 is not None]
    except Exception:  # reported by tests/zoo/test_registry_shipped.py
        names = []
    return names or [pytest.param(None, marks=pytest.mark.skip(reason="no shipped model pins an int8 file"))]


def _entry(int8):
    return parse_entry("m", {**BASE, "int8": int8}, origin="user", base=Path("."), source="reg")


def test_the_int8_pin_schema():
    good = {"file": "m.int8.xml", "sha256": SHA, "bin_sha256": "1" * 64}
    entry = _entry(good)
    assert entry.int8 is not None and entry.int8.bin_file == "m.int8.bin"
    assert entry.int8_path == Path("m.int8.xml") and entry.to_dict()["int8"] == good
    assert _entry(None).int8 is None and "int8" not in _entry(None).to_dict()
    bad = [
        ("x", "'int8' must be a table"),
        ({"file": "m.int8.xml", "sha256": SHA}, "'int8' missing bin_sha256"),
        ({**good, "size": 1}, "'int8' unknown key"),
        ({**good, "file": "other.int8.xml"}, "'int8.file' must be 'm.int8.xml'"),
        ({**good, "bin_sha256": "ABC"}, "'int8.bin_sha256' must be 64 lower-case hex"),
    ]
    for int8, message in bad:
        with pytest.raises(I2IError, match=re.escape(message)):
            _entry(int8)


@pytest.mark.isolated
@pytest.mark.parametrize("name", _pinned())
def test_shipped_int8_file_matches_its_pin_and_passed_its_gate(name):
    from i2i.files import sha256_file
    from i2i.runtime.int8 import MIN_PSNR_DB, read_record

    entry = load_shipped(REGISTRY)[name]
    xml, binary = entry.base / entry.int8.file, entry.base / entry.int8.bin_file
    assert sha256_file(xml) == entry.int8.sha256 and sha256_file(binary) == entry.int8.bin_sha256
    assert xml.stat().st_size + binary.stat().st_size <= 5 * 1024 * 1024, "shipped int8 files stay small"
    record = read_record(xml)
    assert record.source_sha256 == entry.sha256, "made from another version of the ONNX file"
    assert record.psnr_min >= MIN_PSNR_DB and record.held_back_images >= 8


@pytest.fixture
def copied_weights(tmp_path, monkeypatch):
    """The shipped registry and one pinned model's files in a private weights folder (I2I_WEIGHTS_DIR)."""
    from i2i.zoo.verify import clear_memo

    def copy(name: str) -> Path:
        entry = load_shipped(REGISTRY)[name]
        folder = tmp_path / "weights"
        folder.mkdir()
        shutil.copy(REGISTRY, folder)
        for file in (entry.file, entry.int8.file, entry.int8.bin_file):
            shutil.copy(entry.base / file, folder / file)
        return folder

    monkeypatch.setenv("I2I_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("I2I_MODELS_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("I2I_RUNTIME", raising=False)  # tests/conftest.py pins onnxruntime
    monkeypatch.setenv("I2I_CPU_BF16", "0")  # the fallback is fp32: no bf16 gate to measure
    monkeypatch.setenv("I2I_CPU_INT8", "1")
    clear_memo()
    yield copy
    clear_memo()


@pytest.mark.isolated
@pytest.mark.parametrize("name", _pinned())
def test_auto_runs_the_pinned_int8_file_of_a_named_model(name, copied_weights):
    from i2i.runtime import engine
    from i2i.zoo import resolve_path

    folder = copied_weights(name)
    entry = load_shipped(folder / REGISTRY_FILE)[name]
    session = engine.open_session(resolve_path(name), runtime="openvino")
    assert session.precision == "int8" and session.path == folder / entry.int8.file
    assert session.gate_note == ""


@pytest.mark.isolated
@pytest.mark.parametrize("name", _pinned())
def test_a_changed_or_unpinned_int8_file_is_not_loaded(name, copied_weights):
    from i2i.runtime import engine
    from i2i.zoo import resolve_path

    folder = copied_weights(name)
    entry = load_shipped(folder / REGISTRY_FILE)[name]
    binary = folder / entry.int8.bin_file
    data = bytearray(binary.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the weights
    binary.write_bytes(bytes(data))
    session = engine.open_session(resolve_path(name), runtime="openvino")
    assert session.precision == "fp32" and session.path == folder / entry.file
    assert session.gate_note.startswith(f"int8 file unusable: model '{name} (int8)': {binary} has sha256")
    with pytest.raises(I2IError, match="the registry expects"):
        engine.open_session(resolve_path(name), runtime="openvino", precision="int8")

    registry = folder / REGISTRY_FILE  # the same files with the registry's int8 table removed
    text = registry.read_text(encoding="utf-8")
    table = re.compile(rf"\n\[models\.{name}\.int8\]\n(?:[^\[\n].*\n)*")
    assert table.search(text), "the int8 pin is a [models.NAME.int8] table"
    registry.write_text(table.sub("\n", text), encoding="utf-8")
    session = engine.open_session(resolve_path(name), runtime="openvino")
    assert session.precision == "fp32"
    assert session.gate_note == f"int8 file {entry.int8.file} is not pinned in the registry of '{name}'"


@pytest.mark.isolated  # OpenVINO reads the IR: never in the pytest process (tests/runtime/test_engine.py)
def test_models_show_reports_the_int8_pin_and_its_gate(tmp_path, monkeypatch):
    """`i2i models show` lists the pinned int8 file, its sha256 check and the gate it recorded; a model
    without one says '-'."""
    from typer.testing import CliRunner

    from i2i.cli.main import app

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a fresh sha256 cache: really hashed
    pinned = set(_pinned())
    shown = CliRunner().invoke(app, ["models", "show", "facades_label2photo"])
    assert shown.exit_code == 0, shown.output
    assert "facades_label2photo" in pinned
    lines = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in shown.output.splitlines() if line)
    assert lines["int8"].endswith("facades_label2photo.int8.xml (+ .bin 1.9 MB)")
    assert lines["int8.verified"] == "ok"
    assert re.fullmatch(
        r"int8 vs fp32 on \d+ held-back images: PSNR [\d.]+ dB >= 35 \(mean [\d.]+\)", lines["int8.gate"]
    )
    other = next(entry.name for entry in load_shipped().values() if entry.name not in pinned)
    plain = CliRunner().invoke(app, ["models", "show", other])
    assert re.search(r"^int8\s+-$", plain.output, flags=re.M), plain.output
