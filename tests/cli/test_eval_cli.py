"""`i2i eval paired` / `i2i eval model` through the CLI: JSON output and one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from i2i.cli.eval import app
from i2i.errors import I2IError
from tests.eval.helpers import aligned_split, identity_onnx, require_fid_weights


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


def test_compare_needs_exactly_two_models(tmp_path):
    model = identity_onnx(tmp_path / "id.onnx", task="cyclegan")
    result = CliRunner().invoke(app, ["compare", "-m", str(model), "--data", str(tmp_path)])
    assert isinstance(result.exception, I2IError) and "exactly two models" in str(result.exception)


def test_compare_prints_both_ratios_and_the_difference(tmp_path):
    from PIL import Image

    from tests.eval.helpers import smooth_image

    for side, shade in (("A", 1), ("B", 3)):
        folder = tmp_path / "data" / f"train{side}"
        folder.mkdir(parents=True)
        for i in range(4):
            Image.fromarray(smooth_image(32, 10 * shade + i) // shade).save(folder / f"{i}.png")
    first = identity_onnx(tmp_path / "old.onnx", task="cyclegan")
    second = identity_onnx(tmp_path / "new.onnx", task="cyclegan", gain=0.5)
    args = ["compare", "-m", str(first), "-m", str(second), "--data", str(tmp_path / "data")]
    require_fid_weights()
    result = CliRunner().invoke(app, [*args, "--kid-subsets", "2"])
    assert result.exit_code == 0, result.output
    assert "train, AtoB: 4 translated vs 4 real" in result.output
    assert (
        "first  old.onnx: KID ratio 1.000" in result.output and "second new.onnx: KID ratio" in result.output
    )
    assert "second - first: KID ratio -" in result.output and "(paired s.e. over the images)" in result.output
