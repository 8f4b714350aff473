"""The default CPU path for real: OpenVINO, and its bf16 quality gate measured, not mocked.

Two tiny hand-built models (no torch) meet the real gate on this machine:

- ``robust``: a 3x3 convolution of [0, 1] images with small weights. bf16 keeps it far above the gate's
  40 dB, so on a CPU with native bf16 (AVX512-BF16 or AMX) ``open_session`` must return the bf16 session,
  and its outputs must be within the gate of float32 (checked here, not read from the verdict).
- ``fragile``: ``1001 x - 1000 x`` as two convolutions and a subtraction: float32 gives back ``x``, bf16
  (8 significant bits: 1001 rounds to 1000 or 1004) does not, so the gate must fail and the session must be
  float32, with the reason in ``gate_note``.

On a CPU without native bf16 both are float32 with nothing measured. Nothing here patches the gate, the
CPU detection or the session classes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from i2i import accel
from i2i.runtime import engine, gate
from i2i.runtime.gate import MIN_PSNR_DB, psnr, synthetic_inputs

pytest.importorskip("openvino")


@pytest.fixture(autouse=True)
def _real_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no remembered verdicts
    monkeypatch.delenv("I2I_RUNTIME", raising=False)  # the tests' conftest may force onnxruntime


def _model(path: Path, fragile: bool) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from i2i.modelfile import metadata_entries

    rng = np.random.default_rng(0)
    dims = ["N", 3, "H", "W"]
    if fragile:
        eye = np.eye(3, dtype=np.float32)[:, :, None, None]
        inits = [numpy_helper.from_array(eye * 1001.0, "wa"), numpy_helper.from_array(eye * 1000.0, "wb")]
        nodes = [
            helper.make_node("Conv", ["image", "wa"], ["a"]),
            helper.make_node("Conv", ["image", "wb"], ["b"]),
            helper.make_node("Sub", ["a", "b"], ["output"]),
        ]
    else:
        weight = (rng.standard_normal((3, 3, 3, 3)) * 0.1).astype(np.float32)
        weight[:, :, 1, 1] += np.eye(3, dtype=np.float32) * 0.5
        inits = [numpy_helper.from_array(weight, "w")]
        nodes = [helper.make_node("Conv", ["image", "w"], ["output"], pads=[1, 1, 1, 1])]
    graph = helper.make_graph(
        nodes,
        path.stem,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, dims)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    header = {
        "arch": {"name": path.stem, "kwargs": {}},
        "io": {"in_channels": 3, "out_channels": 3, "value_range": [0, 1], "size_multiple": 4},
        "task": "cyclegan",
        "direction": "AtoB",
        "name": path.stem,
    }
    helper.set_model_props(model, metadata_entries(json.dumps(header)))
    onnx.save(model, str(path))
    return path


def _worst_psnr(session, reference) -> float:
    return min(psnr(reference(x[None]), session(x[None])) for x in synthetic_inputs(3))


def test_default_cpu_session_is_openvino_in_bf16_exactly_when_the_gate_passes(tmp_path):
    from i2i.sessions.openvino_session import OpenVINOSession

    path = _model(tmp_path / "robust.onnx", fragile=False)
    lines: list[str] = []
    session = engine.open_session(path, log=lines.append)
    assert session.runtime == "openvino"
    fp32 = OpenVINOSession(path, "fp32")
    if not accel.cpu_has_fast_bf16():
        assert session.precision == "fp32" and lines == [] and session.gate_note == ""
        return
    assert session.precision == "bf16", (session.precision, session.gate_note, lines)
    assert session.gate_note == ""
    assert (
        len(lines) == 1 and lines[0].startswith("precision gate: bf16 vs fp32") and "using bf16" in lines[0]
    )
    assert MIN_PSNR_DB <= _worst_psnr(session, fp32) < 200  # reduced, and within the gate
    again = engine.open_session(path, log=lines.append)
    assert again.precision == "bf16" and len(lines) == 1  # the remembered pass: nothing measured again


def test_a_model_bf16_breaks_fails_the_real_gate_and_runs_float32(tmp_path):
    from i2i.sessions.openvino_session import OpenVINOSession

    path = _model(tmp_path / "fragile.onnx", fragile=True)
    x = synthetic_inputs(3)[0][None]
    fp32 = OpenVINOSession(path, "fp32")
    assert np.abs(fp32(x) - x).max() < 1e-3  # float32 gives the input back
    lines: list[str] = []
    session = engine.open_session(path, log=lines.append)
    assert session.runtime == "openvino" and session.precision == "fp32"
    if not accel.cpu_has_fast_bf16():
        assert lines == [] and session.gate_note == ""
        return
    bf16 = OpenVINOSession(path, "bf16")
    assert bf16.precision == "bf16" and _worst_psnr(bf16, fp32) < MIN_PSNR_DB  # bf16 really breaks it
    assert session.gate_note.startswith("bf16 failed the quality gate:")
    assert len(lines) == 1 and "this model runs fp32" in lines[0]
    assert np.array_equal(session(x), fp32(x))


def test_measure_is_the_worst_psnr_over_the_gate_images(tmp_path):
    from i2i.modelfile import read_model_info
    from i2i.sessions.openvino_session import OpenVINOSession

    path = _model(tmp_path / "robust.onnx", fragile=False)
    fp32 = OpenVINOSession(path, "fp32")
    verdict = gate.measure(fp32, fp32, read_model_info(path), "0" * 64)
    assert verdict.passed and verdict.psnr == float("inf") and verdict.inputs.endswith("synthetic images")
