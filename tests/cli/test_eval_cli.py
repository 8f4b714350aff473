"""`i2i eval paired` / `i2i eval model` through the CLI: JSON output and one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from i2i.cli.eval import app
from i2i.errors import I2IError
from tests.eval.helpers import aligned_split, identity_onnx


def test_paired_json_reports_the_split_and_scores(tmp_path):
    data = aligned_split(tmp_path / "data", "val", 2, same=True)
    model = identity_onnx(tmp_path / "id.onnx", direction="AtoB")
    result = CliRunner().invoke(
        app, ["paired", "--model", str(model), "--data", str(data), "--lpips", "none", "--json"]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["split"] == "val" and scores["images"] == 2 and scores["direction"] == "AtoB"
    assert scores["l1"] == 0.0 and scores["psnr"] == 100.0 and scores["lpips"] is None


def test_paired_human_output_names_split_and_size(tmp_path):
    data = aligned_split(tmp_path / "data", "test", 2)
    model = identity_onnx(tmp_path / "id.onnx", direction="AtoB")
    args = ["paired", "-m", str(model), "--data", str(data), "--lpips", "none", "--size", "16"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "test split, 2 images, AtoB, 16x16 (resized): L1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "test"], "no test/ split"),
        (["--direction", "BtoA"], "contradicts"),
        (["--lpips", "squeeze"], "unknown LPIPS network"),
    ],
)
def test_paired_bad_input_raises_one_line_errors(tmp_path, args, message):
    data = aligned_split(tmp_path / "data", "val", 1)
    model = identity_onnx(tmp_path / "id.onnx", direction="AtoB")
    result = CliRunner().invoke(app, ["paired", "-m", str(model), "--data", str(data), *args])
    assert isinstance(result.exception, I2IError)
    assert message in str(result.exception) and "\n" not in str(result.exception)


def test_model_command_needs_a_cyclegan_layout(tmp_path):
    data = aligned_split(tmp_path / "data", "val", 2)
    model = identity_onnx(tmp_path / "id.onnx", task="cyclegan")
    result = CliRunner().invoke(app, ["model", "-m", str(model), "--data", str(data)])
    assert isinstance(result.exception, I2IError) and "CycleGAN dataset" in str(result.exception)
