"""Export: parity with torch at two sizes and batch sizes, BN -> IN, metadata, fp16, loud failures."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from i2i import checkpoint as ckpt
from i2i.errors import I2IError
from i2i.export import export_checkpoint, export_generator, inference_copy
from i2i.export import verify as verify_mod
from i2i.modelfile import HEADER_KEY, model_info_from_metadata
from i2i.nn import build_generator
from i2i.specs import ArchSpec


def _checkpoint(tmp: Path, name: str, **kwargs) -> tuple[Path, torch.nn.Module]:
    torch.manual_seed(0)
    arch = ArchSpec(name, kwargs)
    module = build_generator(name, **kwargs)
    header = ckpt.make_header(arch, module, task="pix2pix", direction="BtoA", name="tiny", domains=("a", "b"))
    return ckpt.save(tmp / f"{name}.pt", module, header), module


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _torch_01(module: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return ((module(torch.from_numpy(x) * 2 - 1) + 1) / 2).numpy()


@pytest.fixture(scope="module")
def resnet_export(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resnet")
    path, module = _checkpoint(tmp, "resnet_6blocks", ngf=4)
    return export_checkpoint(path), module.eval()


def test_resnet_parity_at_two_sizes_and_batches(resnet_export):
    result, module = resnet_export
    assert result.verification.passed and result.verification.max_abs_diff <= 1e-4
    assert {c.shape[2:] for c in result.verification.checks} == {(96, 96), (128, 160)}
    rng = np.random.default_rng(3)
    for shape in [(3, 3, 64, 64), (1, 3, 44, 84)]:
        x = rng.random(shape, dtype=np.float32)
        got = _run(result.path, x)
        assert got.shape == shape
        np.testing.assert_allclose(got, _torch_01(module, x), atol=1e-4, rtol=0)


def test_metadata_and_dynamic_axes(resnet_export):
    result, _ = resnet_export
    model = onnx.load(str(result.path))
    props = {p.key: p.value for p in model.metadata_props}
    info = model_info_from_metadata(props)
    assert (info.arch, info.name, info.direction, info.task) == ("resnet_6blocks", "tiny", "BtoA", "pix2pix")
    assert info.size_multiple == 4 and info.domains == ("a", "b") and info.precision == "fp32"
    assert props["i2i.size_multiple"] == "4" and props["i2i.io_range"] == "0,1" and HEADER_KEY in props
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == 3
    assert all(d.dim_param and not d.dim_value for i, d in enumerate(dims) if i != 1)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    ops = {n.op_type for n in model.graph.node}
    assert "InstanceNormalization" in ops and "Pad" in ops


def test_inference_copy_is_batchnorm_at_batch_one_without_dropout():
    torch.manual_seed(1)
    net = build_generator("unet", num_downs=5, ngf=4, norm="batch", use_dropout=True)
    copy = inference_copy(net)
    kinds = {type(m).__name__ for m in copy.modules()}
    assert "BatchNorm2d" not in kinds and "Dropout" not in kinds and "InstanceNorm2d" in kinds
    x = torch.rand(1, 3, 64, 96) * 2 - 1
    no_dropout = build_generator("unet", num_downs=5, ngf=4, norm="batch", use_dropout=False)
    no_dropout.load_state_dict(net.state_dict())
    with torch.no_grad():
        train_mode = no_dropout.train()(x)  # what the reference test script computes
        torch.testing.assert_close(copy(x), train_mode, atol=1e-5, rtol=0)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # original untouched


def test_unet_batchnorm_export_is_per_image(tmp_path):
    path, module = _checkpoint(tmp_path, "unet", num_downs=5, ngf=4, norm="batch")
    result = export_checkpoint(path, tmp_path / "unet.onnx")
    assert result.verification.passed
    x = np.random.default_rng(0).random((2, 3, 64, 96), dtype=np.float32)
    both = _run(result.path, x)
    np.testing.assert_allclose(both[1:], _run(result.path, x[1:]), atol=1e-5, rtol=0)
    np.testing.assert_allclose(both, _torch_01(inference_copy(module), x), atol=1e-4, rtol=0)


def test_layer_norm_export_is_per_image_with_its_scale_and_shift(tmp_path):
    torch.manual_seed(0)
    arch = ArchSpec("resnet_6blocks", {"ngf": 4, "norm": "layer"})
    module = build_generator(arch.name, **arch.kwargs)
    with torch.no_grad():
        for norm in (m for m in module.modules() if isinstance(m, torch.nn.GroupNorm)):
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.3, 0.3)
    header = ckpt.make_header(arch, module, task="cut", direction="AtoB", name="ln", domains=("a", "b"))
    result = export_checkpoint(ckpt.save(tmp_path / "ln.pt", module, header))
    assert result.verification.passed
    x = np.random.default_rng(1).random((2, 3, 48, 72), dtype=np.float32)
    both = _run(result.path, x)
    np.testing.assert_allclose(both[1:], _run(result.path, x[1:]), atol=1e-5, rtol=0)
    np.testing.assert_allclose(both, _torch_01(module.eval(), x), atol=1e-4, rtol=0)


def test_failed_verification_raises_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(verify_mod.TOLERANCE, "fp32", -1.0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3, padding=1), torch.nn.Tanh())
    header = '{"arch": {"name": "conv", "kwargs": {}}, "io": {}}'
    with pytest.raises(I2IError, match=r"verification failed.*nothing written"):
        export_generator(net, header, tmp_path / "out.onnx", value_range=(-1, 1), multiple=1)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_refused(resnet_export):
    result, _ = resnet_export
    with pytest.raises(I2IError, match="already exists"):
        export_checkpoint(result.path.with_suffix(".pt"), result.path)


def _cli(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """Run the `i2i` entry point in this process; returns (exit code, stderr)."""
    from i2i.cli.main import run

    monkeypatch.setattr(sys, "argv", ["i2i", *args])
    monkeypatch.setenv("COLUMNS", "400")
    code = 0
    try:
        run()
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_cli_fp16_export(resnet_export, tmp_path, capsys, monkeypatch):
    result, module = resnet_export
    out = tmp_path / "tiny.fp16.onnx"
    code, err = _cli(
        capsys, monkeypatch, "export", str(result.path.with_suffix(".pt")), "--fp16", "-o", str(out)
    )
    assert code == 0, err
    assert "verified" in err and "fp16" in err
    model = onnx.load(str(out))
    weights = [t for t in model.graph.initializer if np.prod(t.dims) > 16]
    assert weights and all(t.data_type == onnx.TensorProto.FLOAT16 for t in weights)
    assert {p.key: p.value for p in model.metadata_props}["i2i.precision"] == "fp16"
    x = np.random.default_rng(5).random((1, 3, 48, 64), dtype=np.float32)
    got = _run(out, x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, _torch_01(module, x), atol=1e-2, rtol=0)


def test_cli_export_missing_checkpoint_is_one_line_error(tmp_path, capsys, monkeypatch):
    code, err = _cli(capsys, monkeypatch, "export", str(tmp_path / "nope.pt"))
    assert code == 1
    assert err.strip().splitlines() == [f"error: {tmp_path / 'nope.pt'}: checkpoint not found"]


def test_opset_below_18_is_refused(resnet_export, tmp_path):
    result, _ = resnet_export
    with pytest.raises(I2IError, match="opset 18 or newer"):
        export_checkpoint(result.path.with_suffix(".pt"), tmp_path / "x.onnx", opset=17)


def test_pad_puts_reflected_context_around_the_generator_in_the_graph(tmp_path):
    path, module = _checkpoint(tmp_path, "resnet_6blocks", ngf=4)
    result = export_checkpoint(path, tmp_path / "padded.onnx", pad=8)
    assert result.verification.passed
    props = {p.key: p.value for p in onnx.load(str(result.path)).metadata_props}
    assert props["i2i.input_pad"] == "8"
    x = np.random.default_rng(1).random((1, 3, 24, 32), dtype=np.float32)
    t = torch.from_numpy(x)
    twice = torch.nn.functional.pad(
        torch.nn.functional.pad(t, (4,) * 4, mode="reflect"), (4,) * 4, mode="reflect"
    )
    by_hand = _torch_01(inference_copy(module), twice.numpy())[..., 8:-8, 8:-8]
    got = _run(result.path, x)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, by_hand, atol=1e-4, rtol=0)
    assert np.abs(got - _run(export_checkpoint(path).path, x)).max() > 1e-3  # the borders do change
    tiny = np.zeros((1, 3, 8, 8), np.float32)  # sides not above the pad: one 8-px reflection would fail
    assert _run(result.path, tiny).shape == (1, 3, 8, 8)


@pytest.mark.parametrize("pad", [-4, 6])
def test_pad_must_be_a_multiple_of_4(tmp_path, pad):
    path, _ = _checkpoint(tmp_path, "resnet_6blocks", ngf=4)
    with pytest.raises(I2IError, match="--pad must be"):
        export_checkpoint(path, tmp_path / "p.onnx", pad=pad)
    assert not (tmp_path / "p.onnx").exists()
