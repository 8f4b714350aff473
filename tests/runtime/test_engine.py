"""Runtime and precision choice, the OpenVINO session and the reduced-precision quality gate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from i2i import accel
from i2i.errors import I2IError
from i2i.runtime import engine, gate
from i2i.sessions.onnxruntime_session import TranslatorSession
from i2i.sessions.openvino_session import OpenVINOSession

# OpenVINO sessions run in a forked child per test: OpenVINO inference followed, in the same process, by a
# fork and a piped subprocess (later tests: DataLoader workers, Ray) crashes that process (tests/conftest.py).
pytestmark = pytest.mark.isolated


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _batch(seed: int = 0, size: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).random((1, 3, size, size), dtype=np.float32)


@pytest.fixture(autouse=True)
def _real_runtime_choice(monkeypatch):
    """These tests are about the automatic choice itself (tests/conftest.py pins it to onnxruntime)."""
    monkeypatch.delenv("I2I_RUNTIME", raising=False)


def test_openvino_fp32_matches_onnxruntime_within_1e4(tiny_model):
    ort = TranslatorSession(tiny_model.path, device="cpu")
    ov = OpenVINOSession(tiny_model.path, "fp32")
    assert ov.info == ort.info and ov.precision == "fp32" and ov.provider == "cpu"
    for seed, size in [(0, 32), (1, 20)]:
        x = _batch(seed, size)
        out = ov(x)
        assert out.shape == (1, 3, size, size) and out.dtype == np.float32
        assert float(np.abs(out - ort(x)).max()) < 1e-4


def test_onnxruntime_fp32_is_the_plain_session(tiny_model):
    plain = TranslatorSession(tiny_model.path, device="cpu")
    chosen = engine.open_session(tiny_model.path, runtime="onnxruntime", precision="fp32", device="cpu")
    assert chosen.runtime == "onnxruntime" and chosen.precision == "fp32" and chosen.gate_note == ""
    x = _batch(3)
    np.testing.assert_array_equal(chosen(x), plain(x))


def test_choose_runtime(monkeypatch):
    import i2i.sessions.openvino_session as ovs

    assert engine.choose_runtime("onnxruntime", "cpu") == "onnxruntime"
    assert engine.choose_runtime("auto", "cpu") == "openvino"
    assert engine.choose_runtime("auto", "cuda") == "onnxruntime"
    with pytest.raises(I2IError, match="--runtime openvino runs on the CPU"):
        engine.choose_runtime("openvino", "tensorrt")
    with pytest.raises(I2IError, match="unknown runtime 'tvm'"):
        engine.choose_runtime("tvm", "cpu")
    monkeypatch.setattr(engine, "_gpu_usable", lambda device: True)
    assert engine.choose_runtime("auto", "auto") == "onnxruntime"
    monkeypatch.setattr(engine, "_gpu_usable", lambda device: False)
    assert engine.choose_runtime("auto", "auto") == "openvino"
    monkeypatch.setattr(ovs, "openvino_available", lambda: False)
    assert engine.choose_runtime("auto", "auto") == "onnxruntime"
    with pytest.raises(I2IError, match="pip install openvino"):
        engine.choose_runtime("openvino", "cpu")


@pytest.mark.parametrize(("bf16", "runtime", "provider", "expected"), [
    (True, "openvino", "cpu", "bf16"),
    (False, "openvino", "cpu", "fp32"),
    (True, "onnxruntime", "cpu", "fp32"),
    (True, "onnxruntime", "cuda", "fp32"),
    (False, "onnxruntime", "tensorrt", "fp16"),
])  # fmt: skip
def test_auto_precision(monkeypatch, bf16, runtime, provider, expected):
    monkeypatch.setattr(accel, "cpu_has_fast_bf16", lambda: bf16)
    assert engine.auto_precision(runtime, provider) == expected


def test_unsupported_precisions_are_one_clear_error(tiny_model):
    with pytest.raises(I2IError, match="for bf16 use --runtime openvino"):
        engine.open_session(tiny_model.path, runtime="onnxruntime", precision="bf16", device="cpu")
    with pytest.raises(I2IError, match="fp16 with onnxruntime needs a GPU"):
        engine.open_session(tiny_model.path, runtime="onnxruntime", precision="fp16", device="cpu")
    with pytest.raises(I2IError, match="unknown precision 'int4'"):
        engine.open_session(tiny_model.path, precision="int4")


def test_auto_without_fast_bf16_is_fp32_and_skips_the_gate(monkeypatch, tiny_model):
    monkeypatch.setattr(accel, "cpu_has_fast_bf16", lambda: False)
    monkeypatch.setattr(gate, "measure", lambda *a: pytest.fail("the gate must not run"))
    session = engine.open_session(tiny_model.path, runtime="openvino", device="cpu")
    assert session.precision == "fp32" and session.gate_note == ""


def _record_precisions(monkeypatch) -> list[str]:
    asked: list[str] = []
    original = OpenVINOSession.__init__

    def init(self, path, precision="fp32", threads=None):
        asked.append(precision)
        original(self, path, precision, threads)
        self.precision_asked = precision  # what OpenVINO was asked for (it may run fp32 without bf16 units)

    monkeypatch.setattr(OpenVINOSession, "__init__", init)
    return asked


def test_gate_failure_runs_fp32_says_why_once_and_is_cached(monkeypatch, tiny_model):
    monkeypatch.setattr(accel, "cpu_has_fast_bf16", lambda: True)
    monkeypatch.setattr(gate, "measure", lambda *a: gate.Verdict(False, 31.25, "2 synthetic images"))
    asked = _record_precisions(monkeypatch)
    lines: list[str] = []
    session = engine.open_session(tiny_model.path, device="cpu", log=lines.append)
    assert session.runtime == "openvino" and session.precision == "fp32"
    assert session.gate_note == "bf16 failed the quality gate: 31.2 dB"
    assert lines == [
        "precision gate: bf16 vs fp32 on 2 synthetic images: PSNR 31.2 dB < 40: this model runs fp32 "
        "(remembered for this model here)"
    ]
    assert asked == ["fp32", "bf16"]  # the reduced session was built only to be measured

    monkeypatch.setattr(gate, "measure", lambda *a: pytest.fail("the verdict must come from the cache"))
    lines.clear()
    asked.clear()
    again = engine.open_session(tiny_model.path, device="cpu", log=lines.append)
    assert again.precision == "fp32" and again.gate_note == session.gate_note
    assert lines == [] and asked == ["fp32"]
    assert "openvino" in engine.describe_session(again) and "fp32 (bf16 failed" in engine.describe_session(
        again
    )


def test_gate_pass_runs_the_reduced_session(monkeypatch, tiny_model):
    monkeypatch.setattr(accel, "cpu_has_fast_bf16", lambda: True)
    monkeypatch.setattr(gate, "measure", lambda *a: gate.Verdict(True, 52.0, "2 synthetic images"))
    asked = _record_precisions(monkeypatch)
    session = engine.open_session(tiny_model.path, device="cpu")
    assert session.gate_note == "" and asked == ["fp32", "bf16"]
    assert session.precision_asked == "bf16"  # the reduced session is the one handed back, not the fp32 one
    asked.clear()
    monkeypatch.setattr(gate, "measure", lambda *a: pytest.fail("the verdict must come from the cache"))
    again = engine.open_session(tiny_model.path, device="cpu")
    assert asked == ["bf16"] and again.gate_note == ""  # cached pass: no fp32 compile, nothing measured
    assert again.precision_asked == "bf16"


def test_explicit_bf16_skips_the_gate(monkeypatch, tiny_model):
    monkeypatch.setattr(gate, "measure", lambda *a: pytest.fail("the gate must not run"))
    asked = _record_precisions(monkeypatch)
    session = engine.open_session(tiny_model.path, runtime="openvino", precision="bf16")
    assert asked == ["bf16"] and session.gate_note == ""


def test_measure_compares_with_fp32_on_synthetic_images(tiny_model):
    ref = TranslatorSession(tiny_model.path, device="cpu")
    same = gate.measure(ref, ref, ref.info, "0" * 64)
    assert same.passed and math.isinf(same.psnr) and same.inputs == "2 synthetic images"
    shifted = gate.measure(ref, lambda b: ref(b) + np.float32(0.02), ref.info, "0" * 64)
    assert not shifted.passed
    assert shifted.psnr == pytest.approx(20 * math.log10(1 / 0.02), abs=1e-3)


def test_synthetic_inputs_are_fixed_smooth_images():
    a, b = gate.synthetic_inputs(3), gate.synthetic_inputs(3)
    assert len(a) == gate.GATE_IMAGES and a[0].shape == (3, 256, 256) and a[0].dtype == np.float32
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert float(a[0].min()) >= 0.0 and float(a[0].max()) <= 1.0
    assert gate.synthetic_inputs(1)[0].shape == (1, 256, 256)


def test_a_synthetic_verdict_is_measured_again_once_the_model_names_samples(monkeypatch, tmp_path):
    """A model run by its path before it shipped was gated on synthetic images; once registered with
    samples, the cached verdict gives way to one measured on them."""
    from i2i.zoo import paths

    monkeypatch.setattr(paths, "precision_gate_cache_path", lambda: tmp_path / "gate.json")
    key = gate.cache_key("a" * 64, "openvino", "1", "bf16", "cpu:x")
    gate.remember(key, gate.Verdict(False, 30.9, "2 synthetic images"))
    monkeypatch.setattr(gate, "bundled_samples", lambda sha: None)
    assert gate.cached_verdict(key) == gate.Verdict(False, 30.9, "2 synthetic images", cached=True)
    monkeypatch.setattr(
        gate, "bundled_samples", lambda sha: ("apples", tmp_path) if sha == "a" * 64 else None
    )
    assert gate.cached_verdict(key) is None
    gate.remember(key, gate.Verdict(True, 54.9, "2 bundled samples 'apples'"))
    assert gate.cached_verdict(key).passed  # a samples verdict stands


def test_bundled_samples_found_by_sha256():
    from i2i.zoo import load_zoo

    entry = next(e for e in load_zoo().shipped.values() if e.samples)
    name, folder = gate.bundled_samples(entry.sha256)
    assert name == entry.samples and folder.is_dir()
    assert gate.bundled_samples("f" * 64) is None


def test_i2i_runtime_replaces_the_automatic_choice(monkeypatch):
    monkeypatch.setenv("I2I_RUNTIME", "onnxruntime")
    assert engine.choose_runtime("auto", "cpu") == "onnxruntime"
    assert engine.choose_runtime("openvino", "cpu") == "openvino"  # an explicit --runtime wins
    monkeypatch.setenv("I2I_RUNTIME", "tensorflow")
    with pytest.raises(I2IError, match="I2I_RUNTIME='tensorflow': choose one of onnxruntime, openvino"):
        engine.choose_runtime("auto", "cpu")
