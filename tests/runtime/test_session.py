"""Sessions: metadata read back, provider reporting, input checks, unusable models, devices."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from i2i.errors import I2IError
from i2i.runtime import TranslatorSession
from i2i.sessions.providers import CPU, _cuda_driver_present, requested_providers


def test_session_reads_metadata_and_reports_provider(tiny_model):
    session = TranslatorSession(tiny_model.path, device="cpu")
    assert session.provider == "cpu" and session.providers == [CPU]
    info = session.info
    assert (info.arch, info.size_multiple, info.direction, info.precision) == (
        "resnet_6blocks",
        4,
        "AtoB",
        "fp32",
    )
    assert "sides multiple of 4" in info.describe()
    out = session(np.random.default_rng(0).random((2, 3, 16, 24), dtype=np.float32))
    assert out.shape == (2, 3, 16, 24) and out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match="multiples of 4"):
        session(np.zeros((1, 3, 18, 24), np.float32))
    with pytest.raises(ValueError, match="expected"):
        session(np.zeros((3, 16, 24), np.float32))


def test_foreign_and_broken_models_are_one_line_errors(tmp_path):
    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])],
    )
    foreign = tmp_path / "foreign.onnx"
    onnx.save(
        helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 18)]), str(foreign)
    )
    with pytest.raises(I2IError, match="not an i2i ONNX export"):
        TranslatorSession(foreign, device="cpu")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(I2IError, match="onnxruntime cannot load"):
        TranslatorSession(broken, device="cpu")
    with pytest.raises(I2IError, match="no such model file"):
        TranslatorSession(tmp_path / "missing.onnx")


def test_device_choices():
    with pytest.raises(I2IError, match="unknown device"):
        requested_providers("gpu")
    assert [p for p, _ in requested_providers("cpu")] == [CPU]
    with pytest.raises(I2IError, match="install onnxruntime-gpu"):
        requested_providers("cuda", available=[CPU])
    cuda = dict(requested_providers("cuda", available=["CUDAExecutionProvider", CPU]))
    assert cuda["CUDAExecutionProvider"]["cudnn_conv_algo_search"] == "HEURISTIC"


@pytest.mark.skipif(_cuda_driver_present(), reason="a CUDA driver is present")
def test_auto_is_cpu_and_explicit_cuda_fails_loudly_without_gpu(tiny_model):
    assert TranslatorSession(tiny_model.path, device="auto").provider == "cpu"
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime without CUDA")
    with pytest.raises(I2IError, match="fell back to cpu"):
        TranslatorSession(tiny_model.path, device="cuda")
