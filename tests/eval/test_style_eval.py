"""`i2i eval style`: the training objective's content and style terms for a fast-style ONNX model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.eval.style import eval_style
from i2i.features.vgg import VGGFeatures
from tests.eval.helpers import identity_onnx
from tests.serve.helpers import conv_model

runner = CliRunner()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("style_eval")
    torch.manual_seed(0)
    weights = root / "vgg16_random.pt"
    torch.save(VGGFeatures("vgg16", ["relu5_3"]).features.state_dict(), weights)
    photos = root / "photos"
    (photos / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, size in enumerate([(40, 30), (36, 48), (50, 50)]):
        pixels = rng.integers(0, 256, (size[1] // 4, size[0] // 4, 3), dtype=np.uint8)
        folder = photos / "sub" if i == 2 else photos
        Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR).save(folder / f"{i}.png")
    models = {
        "identity": identity_onnx(root / "identity.onnx", direction=None, task="fast_style"),
        "style": conv_model(root / "style.onnx", "style", task="fast_style", name="edges"),
        "translator": identity_onnx(root / "translator.onnx", task="cyclegan"),
    }
    return weights, photos, models


def _eval(setup, model, **kwargs):
    weights, photos, models = setup
    return eval_style(
        str(models[model]), photos, "starry", size=32, style_size=48, backbone_weights=weights, **kwargs
    )


def test_an_identity_model_keeps_all_content_and_all_style_distance(setup):
    scores = _eval(setup, "identity")
    assert scores.images == 3
    assert scores.content == 0.0
    assert scores.style_loss == pytest.approx(scores.style_baseline) and scores.style_baseline > 0
    assert scores.style_ratio == pytest.approx(1.0)
    assert scores.near_black == 0.0 and scores.checkerboard == pytest.approx(1.0)


def test_a_changing_model_loses_content_and_limit_counts_photos(setup):
    scores = _eval(setup, "style", limit=2)
    assert scores.images == 2
    assert scores.content > 0 and np.isfinite(scores.style_ratio) and scores.style_ratio != pytest.approx(1.0)


def test_refuses_models_of_other_tasks_and_empty_folders(setup, tmp_path):
    with pytest.raises(I2IError, match="cyclegan model"):
        _eval(setup, "translator")
    weights, _, models = setup
    with pytest.raises(I2IError, match="no images"):
        eval_style(str(models["identity"]), tmp_path, "starry", backbone_weights=weights)


def test_cli_json(setup):
    weights, photos, models = setup
    args = ["eval", "style", "-m", str(models["style"]), "--photos", str(photos), "--style", "starry"]
    args += ["--size", "32", "--style-size", "48", "--backbone-weights", str(weights), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["images"] == 3 and data["content"] > 0 and data["style"].endswith(".jpg")
