"""`i2i dream` end to end on a randomly initialised Inception-v3: outputs, naming, errors, exit codes."""

from __future__ import annotations

import json

import pytest
import torch
import torchvision
from PIL import Image
from typer.testing import CliRunner

from i2i.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch.manual_seed(0)
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True)
    path = tmp_path_factory.mktemp("w") / "inception_random.pt"
    torch.save(model.state_dict(), path)
    return path


def _photo(path, size=(120, 100)):
    Image.effect_mandelbrot(size, (-2, -1.2, 1, 1.2), 60).convert("RGB").save(path)
    return path


FAST = ["--octaves", "2", "--steps", "2", "--layers", "mixed2:1.0"]


def test_default_output_is_beside_the_input_and_never_overwrites(tmp_path, random_weights):
    photo = _photo(tmp_path / "photo.jpg")
    for expected in ("photo.dream.png", "photo.dream-1.png"):
        result = runner.invoke(app, ["dream", str(photo), *FAST, "--backbone-weights", str(random_weights)])
        assert result.exit_code == 0, result.output
        out = tmp_path / expected
        assert out.is_file()
        assert Image.open(out).size == (120, 100)
    # the output records the options that made it: those given, and the defaults of the rest
    notes = Image.open(tmp_path / "photo.dream.png").text
    options = json.loads(notes["i2i:options"])
    assert notes["i2i:command"].startswith("i2i dream")
    assert options["config"]["octaves"] == 2 and options["config"]["layers"] == {"mixed2": 1.0}
    assert options["config"]["octave_scale"] == 1.4 and options["amp"] == "auto" and options["seed"] == 0


def test_size_option_and_explicit_output_file(tmp_path, random_weights):
    photo = _photo(tmp_path / "p.png", (200, 150))
    out = tmp_path / "out" / "dreamt.png"
    result = runner.invoke(
        app,
        [
            "dream",
            str(photo),
            "-o",
            str(out),
            "--size",
            "100",
            *FAST,
            "--backbone-weights",
            str(random_weights),
        ],
    )
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (100, 75)


def test_a_bad_file_does_not_stop_the_batch(tmp_path, random_weights):
    good = _photo(tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    result = runner.invoke(
        app,
        [
            "dream",
            str(bad),
            str(good),
            "-o",
            str(tmp_path / "out"),
            *FAST,
            "--backbone-weights",
            str(random_weights),
        ],
    )
    assert result.exit_code == 1
    assert (tmp_path / "out" / "good.dream.png").is_file()
    assert "bad.png" in result.output and "1 of 2 inputs failed" in result.output


def test_bad_layer_names_list_the_valid_ones(tmp_path, random_weights):
    photo = _photo(tmp_path / "p.png")
    result = runner.invoke(
        app, ["dream", str(photo), "--layers", "mixed42:1", "--backbone-weights", str(random_weights)]
    )
    assert result.exit_code != 0
    assert "mixed42" in str(result.exception) and "valid: mixed0" in str(result.exception)


def test_refuses_to_write_over_an_input(tmp_path, random_weights):
    photo = _photo(tmp_path / "p.png")
    result = runner.invoke(
        app, ["dream", str(photo), "-o", str(photo), "--backbone-weights", str(random_weights)]
    )
    assert result.exit_code != 0
    assert "overwrite an input" in str(result.exception)
