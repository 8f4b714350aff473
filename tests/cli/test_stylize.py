"""`i2i stylize` end to end on a random VGG16 (explicit weights, no network): naming beside the input
without overwriting, printed path, output size, bundled styles, and one-line errors."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.features.vgg import VGGFeatures

runner = CliRunner()


@pytest.fixture(scope="module")
def random_vgg16(tmp_path_factory):
    torch.manual_seed(0)
    state = VGGFeatures("vgg16", ["relu5_3"]).features.state_dict()
    path = tmp_path_factory.mktemp("w") / "vgg16_random.pt"
    torch.save({f"features.{k}": v for k, v in state.items()}, path)  # torchvision's layout
    return path


def _image(path, size=(48, 36)):
    Image.effect_mandelbrot(size, (-2, -1.2, 1, 1.2), 40).convert("RGB").save(path)
    return path


def _fast(weights) -> list[str]:
    return ["--size", "32", "--iterations", "2", "--backbone-weights", str(weights)]


def test_card_command_writes_beside_the_input_and_never_overwrites(tmp_path, random_vgg16):
    photo = _image(tmp_path / "photo.jpg")
    style = _image(tmp_path / "starry.jpg", (40, 40))
    before = photo.read_bytes()
    for expected in ("photo.starry.png", "photo.starry-1.png", "photo.starry-2.png"):
        result = runner.invoke(app, ["stylize", "--style", str(style), str(photo), *_fast(random_vgg16)])
        assert result.exit_code == 0, result.output
        out = tmp_path / expected
        assert out.is_file() and str(out) in result.stdout
        assert Image.open(out).size == (32, 24)  # long side = --size, aspect kept
    assert photo.read_bytes() == before


def test_bundled_style_name_explicit_output_and_options(tmp_path, random_vgg16):
    photo = _image(tmp_path / "photo.png", (30, 60))
    out = tmp_path / "out" / "result.png"
    csv = tmp_path / "losses.csv"
    args = ["stylize", "-s", "starry", "-s", "scream", "--style-blend", "0.7,0.3", str(photo), "-o", str(out)]
    args += [
        "--scales",
        "32,40",
        "--preserve-color",
        "luminance",
        "--save-every",
        "3",
        "--losses-csv",
        str(csv),
    ]
    args += ["--iterations", "2", "--backbone-weights", str(random_vgg16), "--optimizer", "adam"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (20, 40)
    assert (tmp_path / "out" / "result.iter0003.png").is_file()
    assert len(csv.read_text().splitlines()) == 1 + 4
    beside = runner.invoke(app, ["stylize", "-s", "starry", str(photo), *_fast(random_vgg16)])
    assert beside.exit_code == 0 and (tmp_path / "photo.starry.png").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--style", "monet"], "unknown style 'monet'"),
        (["--style", "starry", "--optimizer", "sgd"], "unknown optimizer"),
        (["--style", "starry", "--style-blend", "1,2"], "--style-blend has 2 weights for 1 style"),
        ([], "no style given"),
        (["--style", "starry", "--style-layers", "relu9_9"], "unknown vgg16 layer"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, random_vgg16, extra, message):
    photo = _image(tmp_path / "photo.jpg")
    result = runner.invoke(app, ["stylize", *extra, str(photo), *_fast(random_vgg16)])
    assert result.exit_code != 0
    assert isinstance(result.exception, I2IError) and message in str(result.exception)
    assert not (tmp_path / "photo.starry.png").exists()


def test_unreadable_content_fails_that_input_only(tmp_path, random_vgg16):
    good = _image(tmp_path / "a.jpg")
    bad = tmp_path / "b.jpg"
    bad.write_bytes(b"not an image")
    result = runner.invoke(app, ["stylize", "-s", "starry", str(bad), str(good), *_fast(random_vgg16)])
    assert result.exit_code == 1
    assert (tmp_path / "a.starry.png").is_file() and not (tmp_path / "b.starry.png").exists()


def test_fetch_backbones_reports_cached_and_unavailable(tmp_path, monkeypatch):
    import hashlib
    import json

    monkeypatch.setenv("I2I_FEATURES_CACHE", str(tmp_path))
    monkeypatch.setenv("I2I_OFFLINE", "1")
    cached = tmp_path / "vgg16_features.pt"
    cached.write_bytes(b"pretend")
    (tmp_path / "vgg16_features.pt.json").write_text(
        json.dumps({"sha256": hashlib.sha256(b"pretend").hexdigest()})
    )
    ok = runner.invoke(app, ["models", "fetch-backbones", "vgg16"])
    assert ok.exit_code == 0, ok.output
    assert "(cache)" in ok.output
    missing = runner.invoke(app, ["models", "fetch-backbones", "vgg16", "vgg19"])
    assert missing.exit_code == 1 and "1 of 2 backbones unavailable" in missing.output
    bad = runner.invoke(app, ["models", "fetch-backbones", "alexnet"])
    assert bad.exit_code == 1 and "valid: vgg16, vgg19" in str(bad.exception)


def test_a_small_photo_keeps_its_size_unless_a_size_is_asked_for(tmp_path, random_vgg16):
    photo = _image(tmp_path / "small.jpg", size=(48, 36))
    weights = ["--iterations", "2", "--backbone", "vgg16", "--backbone-weights", str(random_vgg16)]
    kept = runner.invoke(app, ["stylize", "-s", "starry", str(photo), *weights])
    assert kept.exit_code == 0, kept.output
    said = " ".join(kept.output.split())
    assert "small.jpg: 48 px, stylised at its own size, not enlarged to 512 px" in said
    assert "balance: --content-weight 1, --style-weight 30 (raise it for more of the painting" in said
    assert "--style-norm target" in said
    assert Image.open(tmp_path / "small.starry.png").size == (48, 36)
    asked = runner.invoke(app, ["stylize", "-s", "starry", str(photo), "--size", "64", *weights])
    assert asked.exit_code == 0, asked.output
    assert Image.open(tmp_path / "small.starry-1.png").size == (64, 48)


def test_fit_schedule_shrinks_in_proportion_and_collapses_tiny_scales():
    from i2i.optimize.neural_style import NeuralStyleConfig, default_schedule, fit_schedule

    scales, iterations = default_schedule(512)
    config = NeuralStyleConfig(scales=scales, iterations=iterations)
    assert fit_schedule(config, 600) is config
    assert fit_schedule(config, 256).scales == (128, 256)
    tiny = fit_schedule(config, 100)
    assert (tiny.scales, tiny.total_iterations) == ((100,), config.total_iterations)


def test_style_norm_none_restores_the_old_weight(tmp_path, random_vgg16):
    photo = _image(tmp_path / "small.jpg", size=(48, 36))
    weights = ["--iterations", "1", "--backbone", "vgg16", "--backbone-weights", str(random_vgg16)]
    result = runner.invoke(app, ["stylize", "-s", "starry", str(photo), "--style-norm", "none", *weights])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "--style-weight 1e+06" in said and "--style-norm none" in said
    # the result records how it was made
    options = json.loads(Image.open(tmp_path / "small.starry.png").text["i2i:options"])
    assert options["styles"] == ["starry"] and options["config"]["style_norm"] == "none"
    assert options["config"]["style_weight"] == 1e6 and options["backbone"] == "vgg16"
