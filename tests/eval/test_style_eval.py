"""`i2i eval style`: the training objective's content and style terms (VGG16) and the independent AlexNet
style ratio, for a fast-style ONNX model run here or for a folder of finished images."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.eval.style import eval_style, ratio_standard_error
from i2i.features.alexnet import AlexNetFeatures
from i2i.features.vgg import VGGFeatures
from tests.eval.helpers import identity_onnx
from tests.serve.helpers import conv_model

runner = CliRunner()
SIZE = 48  # every photo's long side: no resizing, and >= 31 px a side for AlexNet


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("style_eval")
    torch.manual_seed(0)
    weights = {
        "backbone_weights": root / "vgg16_random.pt",
        "alexnet_weights": root / "alexnet_random.pt",
    }
    torch.save(VGGFeatures("vgg16", ["relu5_3"]).features.state_dict(), weights["backbone_weights"])
    torch.save(AlexNetFeatures().features.state_dict(), weights["alexnet_weights"])
    photos = root / "photos"
    (photos / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, size in enumerate([(SIZE, 36), (36, SIZE), (SIZE, SIZE)]):
        pixels = rng.integers(0, 256, (size[1] // 4, size[0] // 4, 3), dtype=np.uint8)
        folder = photos / "sub" if i == 2 else photos
        Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR).save(folder / f"{i}.png")
    models = {
        "identity": identity_onnx(root / "identity.onnx", direction=None, task="fast_style"),
        "style": conv_model(root / "style.onnx", "style", task="fast_style", name="edges"),
        "translator": identity_onnx(root / "translator.onnx", task="cyclegan"),
    }
    return weights, photos, models


def _eval(setup, model=None, **kwargs):
    weights, photos, models = setup
    model = str(models[model]) if model is not None else None
    return eval_style(model, photos, "starry", size=SIZE, style_size=64, **weights, **kwargs)


def _copy_photos(photos, out, transform=None):
    """The photos as finished images under ``out`` (same relative paths), optionally changed."""
    for path in photos.rglob("*.png"):
        target = out / path.relative_to(photos)
        target.parent.mkdir(parents=True, exist_ok=True)
        image = Image.open(path).convert("RGB")
        (transform(image) if transform else image).save(target)
    return out


def _args(setup, *source):
    weights, photos, _ = setup
    args = ["eval", "style", *source, "--photos", str(photos), "--style", "starry", "--size", str(SIZE)]
    args += ["--style-size", "64", "--backbone-weights", str(weights["backbone_weights"])]
    return [*args, "--alexnet-weights", str(weights["alexnet_weights"])]


def test_an_identity_model_keeps_all_content_and_all_style_distance(setup):
    scores = _eval(setup, "identity")
    assert scores.images == 3 and scores.outputs is None and scores.model.endswith("identity.onnx")
    assert scores.content == 0.0
    assert scores.style_loss == pytest.approx(scores.style_baseline) and scores.style_baseline > 0
    assert scores.style_ratio == pytest.approx(1.0)
    assert scores.style_ratio_alexnet == pytest.approx(1.0) and scores.style_baseline_alexnet > 0
    assert scores.style_ratio_se == pytest.approx(0.0, abs=1e-6)
    assert scores.near_black == 0.0 and scores.checkerboard == pytest.approx(1.0)
    assert [row.photo for row in scores.per_image] == ["0.png", "1.png", "sub/2.png"]


def test_a_changing_model_loses_content_and_limit_counts_photos(setup):
    scores = _eval(setup, "style", limit=2)
    assert scores.images == 2 and len(scores.per_image) == 2
    assert scores.content > 0 and np.isfinite(scores.style_ratio) and scores.style_ratio != pytest.approx(1.0)
    assert np.isfinite(scores.style_ratio_alexnet) and scores.style_ratio_alexnet != pytest.approx(1.0)
    assert scores.style_ratio_se > 0 and scores.style_ratio_alexnet_se > 0
    row = scores.per_image[0]
    assert row.style_ratio_alexnet == pytest.approx(row.style_loss_alexnet / row.style_baseline_alexnet)
    # The per-layer terms add up to the totals; each layer's share is its own sum over the photos'.
    vgg = [k for k in row.layers if k.startswith("vgg16/")]
    assert (
        vgg == ["vgg16/relu1_2", "vgg16/relu2_2", "vgg16/relu3_3", "vgg16/relu4_3"] and len(row.layers) == 9
    )
    assert sum(row.layers[k] for k in vgg) == pytest.approx(row.style_loss, rel=1e-6)
    assert sum(v for k, v in row.layers.items() if k not in vgg) == pytest.approx(
        row.style_loss_alexnet, rel=1e-6
    )
    shares = scores.style_ratio_layers
    for layer, share in shares.items():
        expected = sum(r.layers[layer] for r in scores.per_image) / sum(
            r.baseline_layers[layer] for r in scores.per_image
        )
        assert share == pytest.approx(expected, rel=1e-12) and share != pytest.approx(1.0), layer
    assert scores.against_style_ratio_layers is None


def test_refuses_models_of_other_tasks_and_empty_folders(setup, tmp_path):
    with pytest.raises(I2IError, match="cyclegan model"):
        _eval(setup, "translator")
    weights, _, models = setup
    with pytest.raises(I2IError, match="no images"):
        eval_style(str(models["identity"]), tmp_path, "starry", **weights)


def test_outputs_identical_to_the_photos_leave_all_style_distance_on_both_networks(setup, tmp_path):
    outputs = _copy_photos(setup[1], tmp_path / "same")
    scores = _eval(setup, outputs=outputs)
    assert scores.model is None and scores.outputs == str(outputs) and scores.images == 3
    assert scores.content == 0.0
    assert scores.style_ratio == 1.0 and scores.style_ratio_alexnet == 1.0
    assert scores.per_image[2].output == str(outputs / "sub" / "2.png")


def test_the_alexnet_ratio_follows_the_outputs(setup, tmp_path):
    photos = setup[1]
    dark = _eval(
        setup, outputs=_copy_photos(photos, tmp_path / "dark", lambda im: im.point(lambda v: v // 2))
    )
    flat = _eval(
        setup, outputs=_copy_photos(photos, tmp_path / "flat", lambda im: im.quantize(4).convert("RGB"))
    )
    ratios = {dark.style_ratio_alexnet, flat.style_ratio_alexnet, 1.0}
    assert len({round(r, 4) for r in ratios}) == 3, ratios


def test_a_models_outputs_written_by_stylize_score_as_the_model_does(setup, tmp_path):
    _, photos, models = setup
    out = tmp_path / "fast"
    args = ["stylize", "--model", str(models["style"]), str(photos), str(out)]
    result = runner.invoke(app, [*args, "--runtime", "onnxruntime", "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    assert (out / "sub" / "2.png").is_file()  # relative paths and the inputs' suffix kept
    direct, written = _eval(setup, "style"), _eval(setup, outputs=out)
    for name in ("content", "style_loss", "style_baseline", "style_ratio", "style_ratio_alexnet"):
        # the files hold the model's float outputs rounded to 8 bits: about 1.5e-3 relative here
        assert getattr(written, name) == pytest.approx(getattr(direct, name), rel=5e-3), name
    assert written.near_black == direct.near_black and written.checkerboard == pytest.approx(
        direct.checkerboard
    )


def test_gatys_names_are_matched_flat_or_beside(setup, tmp_path):
    # `i2i stylize --style starry -o DIR photos...` writes DIR/<stem>.starry.png, flat
    photos = setup[1]
    out = tmp_path / "gatys"
    out.mkdir()
    for path in photos.rglob("*.png"):
        shutil.copy(path, out / f"{path.stem}.starry.png")
    scores = _eval(setup, outputs=out)
    assert [row.output for row in scores.per_image] == [str(out / f"{i}.starry.png") for i in range(3)]
    assert scores.style_ratio == 1.0


def test_a_missing_output_is_one_line_naming_the_photo(setup, tmp_path):
    outputs = _copy_photos(setup[1], tmp_path / "some")
    (outputs / "1.png").unlink()
    with pytest.raises(I2IError) as info:
        _eval(setup, outputs=outputs)
    message = str(info.value)
    assert message.startswith(f"{setup[1] / '1.png'}: no output") and "\n" not in message


def test_an_output_of_another_size_is_one_line_naming_it(setup, tmp_path):
    outputs = _copy_photos(setup[1], tmp_path / "big", lambda im: im.resize((im.width * 2, im.height * 2)))
    with pytest.raises(I2IError, match=r"0\.png: 96x72 px, but its photo .* is 48x36 px at --size 48"):
        _eval(setup, outputs=outputs)


def test_model_and_outputs_are_exclusive(setup, tmp_path):
    with pytest.raises(I2IError, match=r"exactly one of --model .* got both"):
        _eval(setup, "identity", outputs=tmp_path)
    with pytest.raises(I2IError, match="got neither"):
        _eval(setup)


@pytest.mark.parametrize(("source", "what"), [(["-m", "x.onnx", "--outputs", "."], "both"), ([], "neither")])
def test_cli_style_needs_exactly_one_source(setup, source, what):
    result = runner.invoke(app, _args(setup, *source))
    assert isinstance(result.exception, I2IError) and f"got {what}" in str(result.exception)


def test_cli_style_json_and_text_show_both_networks(setup, tmp_path):
    _, _, models = setup
    result = runner.invoke(app, [*_args(setup, "-m", str(models["style"])), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["images"] == 3 and data["content"] > 0 and data["style"].endswith(".jpg")
    assert data["style_ratio_alexnet"] > 0 and data["outputs"] is None and len(data["per_image"]) == 3
    outputs = _copy_photos(setup[1], tmp_path / "same")
    result = runner.invoke(app, _args(setup, "--outputs", str(outputs)))
    assert result.exit_code == 0, result.output
    assert "VGG16 100.00% ± 0.00%" in result.output and "AlexNet 100.0% ± 0.0%" in result.output
    assert f"outputs {outputs}" in result.output


def test_cli_style_help_says_which_network_is_which():
    text = " ".join(runner.invoke(app, ["eval", "style", "--help"], terminal_width=400).output.split())
    assert "VGG16 (relu1_2 to relu4_3, the training loss network" in text
    assert "AlexNet (relu1 to relu5, an independent check" in text
    assert "--outputs" in text and "--alexnet-weights" in text and "--against" in text


def test_ratio_standard_error_is_the_delete_one_jackknife():
    num, den = np.array([1.0, 2.0, 4.0, 3.0]), np.array([10.0, 9.0, 12.0, 8.0])
    without = [(num.sum() - num[i]) / (den.sum() - den[i]) for i in range(4)]
    expected = np.sqrt(3 / 4 * np.sum((np.array(without) - np.mean(without)) ** 2))
    assert ratio_standard_error(num, den) == pytest.approx(expected, rel=1e-12)
    assert ratio_standard_error(num * 0 + 1, den * 0 + 2) == 0.0
    assert np.isnan(ratio_standard_error([1.0], [2.0]))


def _darker(image):
    return image.point(lambda v: v // 2)


def _flatter(image):
    return image.quantize(4).convert("RGB")


def test_against_the_scored_folder_itself_is_exactly_one_with_no_spread(setup, tmp_path):
    outputs = _copy_photos(setup[1], tmp_path / "dark", _darker)
    scores = _eval(setup, outputs=outputs, against=outputs)
    assert scores.against == str(outputs) and scores.style_ratio != 1.0
    assert scores.style_ratio_vs_against == 1.0 and scores.style_ratio_alexnet_vs_against == 1.0
    assert scores.style_ratio_vs_against_se == 0.0 and scores.style_ratio_alexnet_vs_against_se == 0.0
    assert scores.against_style_ratio == scores.style_ratio
    assert scores.against_style_ratio_alexnet == scores.style_ratio_alexnet
    assert scores.against_near_black == scores.near_black
    assert scores.per_image[2].against == str(outputs / "sub" / "2.png")


def _leave_one_out_se(first, second, loss, baseline):
    """The jackknife standard error of first's style ratio over second's, from the two separate runs."""
    a = np.array([[getattr(r, loss), getattr(r, baseline)] for r in first.per_image])
    b = np.array([[getattr(r, loss), getattr(r, baseline)] for r in second.per_image])
    n = len(a)
    without = []
    for i in range(n):
        keep = np.arange(n) != i
        ra, rb = a[keep, 0].sum() / a[keep, 1].sum(), b[keep, 0].sum() / b[keep, 1].sum()
        without.append(ra / rb)
    return float(np.sqrt((n - 1) / n * np.sum((np.array(without) - np.mean(without)) ** 2)))


def test_against_is_the_quotient_of_the_two_separate_scores(setup, tmp_path):
    photos = setup[1]
    dark, flat = (
        _copy_photos(photos, tmp_path / "dark", _darker),
        _copy_photos(photos, tmp_path / "flat", _flatter),
    )
    first, second = _eval(setup, outputs=dark), _eval(setup, outputs=flat)
    both = _eval(setup, outputs=dark, against=flat)
    for name in ("style_ratio", "style_ratio_alexnet", "content", "near_black", "style_ratio_se"):
        assert getattr(both, name) == getattr(first, name), name  # --against changes nothing of the rest
    assert both.against_style_ratio == pytest.approx(second.style_ratio, rel=1e-12)
    assert both.against_style_ratio_alexnet == pytest.approx(second.style_ratio_alexnet, rel=1e-12)
    assert both.against_near_black == second.near_black
    ratio = both.style_ratio_vs_against
    assert ratio == pytest.approx(first.style_ratio / second.style_ratio, rel=1e-12) and ratio != 1.0
    assert both.style_ratio_alexnet_vs_against == pytest.approx(
        first.style_ratio_alexnet / second.style_ratio_alexnet, rel=1e-12
    )
    se = _leave_one_out_se(first, second, "style_loss", "style_baseline")
    se_alexnet = _leave_one_out_se(first, second, "style_loss_alexnet", "style_baseline_alexnet")
    assert se > 0 and both.style_ratio_vs_against_se == pytest.approx(se, rel=1e-9)
    assert se_alexnet > 0 and both.style_ratio_alexnet_vs_against_se == pytest.approx(se_alexnet, rel=1e-9)
    assert [r.against_style_loss for r in both.per_image] == [r.style_loss for r in second.per_image]
    assert both.style_ratio_layers == first.style_ratio_layers
    assert both.against_style_ratio_layers == pytest.approx(second.style_ratio_layers, rel=1e-12)


def test_cli_style_against_prints_the_line_and_json_carries_the_keys(setup, tmp_path):
    _, photos, models = setup
    same = _copy_photos(photos, tmp_path / "same")
    result = runner.invoke(app, [*_args(setup, "-m", str(models["style"])), "--against", str(same), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["against"] == str(same) and data["against_style_ratio"] == pytest.approx(1.0)
    assert data["style_ratio_vs_against"] == pytest.approx(data["style_ratio"])  # the reference: the photos
    for key in (
        "style_ratio_vs_against_se",
        "style_ratio_alexnet_vs_against",
        "style_ratio_alexnet_vs_against_se",
    ):
        assert data[key] > 0, key
    assert data["against_style_ratio_alexnet"] == pytest.approx(1.0) and data["against_near_black"] == 0.0
    assert data["per_image"][0]["against"] == str(same / "0.png")
    result = runner.invoke(app, [*_args(setup, "--outputs", str(same)), "--against", str(same)])
    assert result.exit_code == 0, result.output
    line = f"  vs {same}: VGG16 1.00x ± 0.00 (its 100.00%)   AlexNet 1.00x ± 0.00 (its 100.0%)   "
    line += "near-black 0.000%"
    assert line in result.output.splitlines()
    layers = (
        "VGG16 relu1_2 1.00x relu2_2 1.00x relu3_3 1.00x relu4_3 1.00x | AlexNet relu1 1.00x relu2 1.00x "
    )
    assert f"  per layer vs {same}: {layers}relu3 1.00x relu4 1.00x relu5 1.00x" in result.output.splitlines()
    assert "  per layer    VGG16 relu1_2 100.0% relu2_2 100.0% " in result.output
    result = runner.invoke(app, [*_args(setup, "--outputs", str(same)), "--json"])
    data = json.loads(result.stdout)
    assert data["against"] is None and data["style_ratio_vs_against"] is None
    assert data["per_image"][0]["against_style_loss"] is None


def test_a_missing_or_mis_sized_reference_is_one_line_naming_the_file(setup, tmp_path):
    photos = setup[1]
    outputs = _copy_photos(photos, tmp_path / "outputs")
    against = _copy_photos(photos, tmp_path / "against")
    (against / "sub" / "2.png").unlink()
    with pytest.raises(I2IError) as info:
        _eval(setup, outputs=outputs, against=against)
    message = str(info.value)
    assert message.startswith(f"{photos / 'sub' / '2.png'}: no output") and "\n" not in message
    assert str(against / "sub" / "2") in message
    big = _copy_photos(photos, tmp_path / "big", lambda im: im.resize((im.width * 2, im.height * 2)))
    with pytest.raises(I2IError, match=r"big/0\.png: 96x72 px, but its photo .* is 48x36 px"):
        _eval(setup, "identity", against=big)
    with pytest.raises(I2IError, match=r"nowhere: no such folder \(--against\)"):
        _eval(setup, outputs=outputs, against=tmp_path / "nowhere")
