"""`i2i export --strength` (the output moved from the input towards the translation by a factor) and
exporting an i2i ONNX file again (its generator rebuilt from the file's header and initializers)."""

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
from i2i.export import export_checkpoint
from i2i.export.from_onnx import generator_from_onnx
from i2i.modelfile import model_info_from_metadata
from i2i.nn import build_generator
from i2i.specs import ArchSpec


def _checkpoint(tmp: Path, name: str = "resnet_6blocks", **kwargs) -> Path:
    torch.manual_seed(0)
    kwargs = {"ngf": 4, **kwargs}
    module = build_generator(name, **kwargs)
    header = ckpt.make_header(ArchSpec(name, kwargs), module, task="cut", direction="AtoB", name="tiny")
    return ckpt.save(tmp / f"{name}.pt", module, header)


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _props(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> tuple[Path, Path]:
    """(checkpoint, its plain export with an 8-px pad)."""
    tmp = tmp_path_factory.mktemp("strength")
    path = _checkpoint(tmp)
    return path, export_checkpoint(path, tmp / "plain.onnx", pad=8).path


@pytest.mark.parametrize("strength", [0.5, 1.5])
def test_strength_moves_the_output_from_the_input_by_that_factor(plain, tmp_path, strength):
    path, plain_onnx = plain
    result = export_checkpoint(path, tmp_path / "s.onnx", pad=8, strength=strength)
    assert result.verification.passed
    x = np.random.default_rng(2).random((2, 3, 24, 32), dtype=np.float32)
    translated = _run(plain_onnx, x)
    got = _run(result.path, x)
    np.testing.assert_allclose(got, np.clip(x + strength * (translated - x), 0, 1), atol=1e-5, rtol=0)
    assert np.abs(got - translated).max() > 1e-2  # not the plain translation
    props = _props(result.path)
    assert props["i2i.strength"] == repr(strength)
    assert model_info_from_metadata(props).strength == strength
    assert f"strength {strength:g}" in model_info_from_metadata(props).describe()


def test_strength_1_adds_nothing_to_the_graph_or_the_metadata(plain, tmp_path):
    path, plain_onnx = plain
    again = export_checkpoint(path, tmp_path / "one.onnx", pad=8, strength=1.0).path
    assert "i2i.strength" not in _props(again)
    assert len(onnx.load(str(again)).graph.node) == len(onnx.load(str(plain_onnx)).graph.node)
    assert model_info_from_metadata(_props(again)).strength == 1.0


@pytest.mark.parametrize("strength", [0.0, -1.0, 4.5, float("nan")])
def test_strength_out_of_range_is_refused_and_writes_nothing(plain, tmp_path, strength):
    path, _ = plain
    with pytest.raises(I2IError, match="--strength must be in"):
        export_checkpoint(path, tmp_path / "bad.onnx", strength=strength)
    assert not (tmp_path / "bad.onnx").exists()


def test_strength_needs_matching_channels(tmp_path):
    path = _checkpoint(tmp_path, out_channels=1)
    with pytest.raises(I2IError, match="as many output channels"):
        export_checkpoint(path, tmp_path / "gray.onnx", strength=1.5)


def test_file_declaring_a_strength_out_of_range_is_refused(plain):
    _, plain_onnx = plain
    props = _props(plain_onnx) | {"i2i.strength": "9"}
    with pytest.raises(I2IError, match=r"strength 9\.0 is outside"):
        model_info_from_metadata(props)


def test_reexport_rebuilds_the_generator_and_keeps_pad_and_strength(plain, tmp_path):
    path, plain_onnx = plain
    strong = export_checkpoint(path, tmp_path / "strong.onnx", pad=8, strength=1.5).path
    rebuilt = generator_from_onnx(strong)
    original = ckpt.load(path).module
    for key, value in original.state_dict().items():
        torch.testing.assert_close(rebuilt.module.state_dict()[key], value, rtol=0, atol=0)
    assert (rebuilt.info.input_pad, rebuilt.info.strength) == (8, 1.5)

    x = np.random.default_rng(4).random((1, 3, 32, 40), dtype=np.float32)
    same = export_checkpoint(strong).path  # no options: the file's own pad and strength
    assert same == tmp_path / "strong.reexported.onnx"
    np.testing.assert_array_equal(_run(same, x), _run(strong, x))
    assert _props(same)["i2i.header"] == _props(strong)["i2i.header"]

    back = export_checkpoint(strong, tmp_path / "back.onnx", strength=1.0).path
    np.testing.assert_allclose(_run(back, x), _run(plain_onnx, x), atol=1e-6, rtol=0)
    unpadded = export_checkpoint(strong, tmp_path / "unpadded.onnx", pad=0, strength=1.0).path
    assert "i2i.input_pad" not in _props(unpadded)


def test_reexport_from_fp16_comes_back_as_float32_weights(plain, tmp_path):
    path, plain_onnx = plain
    half = export_checkpoint(path, tmp_path / "half.onnx", fp16=True, pad=8).path
    rebuilt = generator_from_onnx(half)
    assert all(v.dtype == torch.float32 for v in rebuilt.module.state_dict().values())
    full = export_checkpoint(half, tmp_path / "full.onnx").path
    assert _props(full)["i2i.precision"] == "fp32"
    x = np.random.default_rng(6).random((1, 3, 24, 24), dtype=np.float32)
    np.testing.assert_allclose(_run(full, x), _run(plain_onnx, x), atol=1e-2, rtol=0)


def test_reexport_never_replaces_its_input(plain, tmp_path):
    _, plain_onnx = plain
    before = plain_onnx.read_bytes()
    with pytest.raises(I2IError, match="is the model being exported"):
        export_checkpoint(plain_onnx, plain_onnx, overwrite=True, strength=2.0)
    assert plain_onnx.read_bytes() == before


def test_reexport_refuses_a_graph_without_named_weights(plain, tmp_path):
    _, plain_onnx = plain
    model = onnx.load(str(plain_onnx))
    for init in model.graph.initializer:
        init.name = init.name.replace("generator.", "onnx::")
    renamed = tmp_path / "renamed.onnx"
    onnx.save_model(model, str(renamed))
    with pytest.raises(I2IError, match="do not rebuild 'resnet_6blocks'"):
        generator_from_onnx(renamed)


def test_cli_reexport_with_strength(plain, tmp_path, capsys, monkeypatch):
    from i2i.cli.main import run

    _, plain_onnx = plain
    out = tmp_path / "cli.onnx"
    monkeypatch.setattr(sys, "argv", ["i2i", "export", str(plain_onnx), "--strength", "1.25", "-o", str(out)])
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit) as exc:
        run()
    err = capsys.readouterr().err
    assert exc.value.code in (0, None), err
    assert "verified" in err
    assert _props(out)["i2i.strength"] == "1.25" and _props(out)["i2i.input_pad"] == "8"


def test_cli_reexport_of_a_foreign_onnx_is_one_line_error(tmp_path, capsys, monkeypatch):
    from i2i.cli.main import run

    foreign = tmp_path / "foreign.onnx"
    node = onnx.helper.make_node("Identity", ["x"], ["y"])
    value = onnx.helper.make_tensor_value_info
    graph = onnx.helper.make_graph(
        [node], "g", [value("x", onnx.TensorProto.FLOAT, [1])], [value("y", onnx.TensorProto.FLOAT, [1])]
    )
    onnx.save_model(onnx.helper.make_model(graph), str(foreign))
    monkeypatch.setattr(sys, "argv", ["i2i", "export", str(foreign), "--strength", "1.5"])
    with pytest.raises(SystemExit) as exc:
        run()
    assert exc.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "not an i2i ONNX export" in lines[0]


@pytest.mark.slow
def test_named_shipped_model_reexports_bit_identically_into_the_current_folder(tmp_path, monkeypatch):
    """The shipped apple2orange (a trained model, not a fresh one) rebuilt from its own file: same outputs."""
    from i2i.runtime.resolve import resolve_model

    monkeypatch.chdir(tmp_path)
    result = export_checkpoint("apple2orange")
    assert result.path == Path("apple2orange.reexported.onnx") and (tmp_path / result.path).is_file()
    shipped = resolve_model("apple2orange")
    assert _props(result.path)["i2i.header"] == _props(shipped)["i2i.header"]
    assert _props(result.path)["i2i.input_pad"] == _props(shipped)["i2i.input_pad"]
    x = np.random.default_rng(7).random((1, 3, 64, 96), dtype=np.float32)
    np.testing.assert_array_equal(_run(result.path, x), _run(shipped, x))


def test_unknown_model_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(I2IError, match="no-such-model"):
        export_checkpoint("no-such-model", strength=1.5)
    assert not list(tmp_path.iterdir())
