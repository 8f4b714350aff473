"""`i2i stylize`'s options (:mod:`i2i.optimize.stylize_options`): the job turns the command line's strings
into the method's settings, checks them wherever it is built, and the CLI gives each bad value one line.
Fast: no feature network is loaded."""

from __future__ import annotations

import pytest
from PIL import Image
from typer.testing import CliRunner

from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.optimize.stylize_options import (
    DEFAULT_SIZE,
    FastStyleRun,
    NeuralStyleConfig,
    StylizeJob,
    default_schedule,
)
from i2i.options import plain_values

runner = CliRunner()


def test_the_job_makes_the_default_schedule_and_keeps_small_photos_small():
    job = StylizeJob(inputs=(), styles=["starry"])
    assert job.styles == ("starry",) and job.enlarge is False
    assert (job.config.scales, job.config.iterations) == default_schedule(DEFAULT_SIZE)
    assert job.config.style_weight == 30.0 and job.init_path is None


def test_size_scales_iterations_layers_init_and_blend_are_parsed_into_the_config(tmp_path):
    job = StylizeJob(
        inputs=(), styles=("a", "b"), scales="32,64", iterations=5, style_layers="relu1_1:2,relu2_1",
        init=str(tmp_path / "start.png"), style_blend="0.7,0.3",
    )  # fmt: skip
    config = job.config
    assert (config.scales, config.iterations, config.init) == ((32, 64), 5, "content")
    assert dict(config.layer_weights) == {"relu1_1": 2.0, "relu2_1": 1.0}
    assert config.style_blend == (0.7, 0.3) and job.init_path == tmp_path / "start.png"
    assert job.enlarge is True
    sized = StylizeJob(inputs=(), styles=("a",), size=256)
    assert (sized.config.scales, sized.config.iterations, sized.enlarge) == ((128, 256), (200, 50), True)
    assert StylizeJob(inputs=(), styles=("a",), size=64, iterations=3).config.scales == (64,)


def test_a_config_given_from_python_is_kept_and_enlarges_as_before():
    config = NeuralStyleConfig(scales=(32,), iterations=1)
    job = StylizeJob(inputs=(), styles=("a",), config=config)
    assert job.config is config and job.enlarge is True
    notes = plain_values(job)
    assert notes["styles"] == ["a"] and notes["config"]["scales"] == [32] and notes["amp"] == "auto"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"styles": ()}, "no style given: use --style FILE|NAME"),
        ({"scales": "32,big"}, "--scales: expected comma-separated numbers, got '32,big'"),
        ({"style_blend": "1;2"}, "--style-blend: expected comma-separated numbers"),
        ({"scales": "64,32"}, "--scales must go from small to large"),
        ({"amp": "int8"}, "valid amp values: auto, none, bf16, fp16"),
    ],
)
def test_the_job_checks_its_values_wherever_it_is_built(kwargs, message):
    with pytest.raises(I2IError, match=message.replace("(", r"\(").replace("|", r"\|")):
        StylizeJob(inputs=(), **{"styles": ("starry",), **kwargs})


def test_fast_style_options_check_their_values():
    assert FastStyleRun().batch == 1 and FastStyleRun().runtime == "auto"
    with pytest.raises(I2IError, match="batch must be >= 1, got 0"):
        FastStyleRun(model="m", batch=0)
    with pytest.raises(I2IError, match="valid precision values"):
        FastStyleRun(precision="int4")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "starry", "--scales", "32,x"], "--scales: expected comma-separated numbers, got '32,x'"),
        (
            ["-s", "starry", "--init", "sideways"],
            "sideways: no such file",
        ),  # neither content, noise nor a file
        (["-s", "starry", "--style-norm", "layer"], "unknown --style-norm 'layer'; valid: target, none"),
        (["-s", "starry", "--model", "m", "out"], "give either --style (optimisation) or --model"),
        (["--model", "m"], "with --model give the inputs and then the output folder"),
        (["--model", "m", "out", "--batch", "0"], "batch must be >= 1, got 0"),
    ],
)
def test_a_bad_value_is_one_line_and_nothing_is_written(tmp_path, args, message):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (20, 16)).save(photo)
    result = runner.invoke(app, ["stylize", str(photo), *args])
    assert result.exit_code != 0 and isinstance(result.exception, I2IError), result.output
    assert message in str(result.exception) and "\n" not in str(result.exception)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def test_a_bad_choice_exits_2_naming_the_valid_ones(tmp_path):
    result = runner.invoke(app, ["stylize", "-s", "starry", "--device", "tpu", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "auto" in result.output and "cuda" in result.output


def test_model_runs_the_translate_pipeline_with_the_shared_device_and_overwrite(tmp_path):
    from tests.eval.helpers import identity_onnx

    model = identity_onnx(tmp_path / "id.onnx", task="fast_style", direction=None)
    Image.new("RGB", (20, 16), (10, 200, 30)).save(tmp_path / "a.png")
    args = ["stylize", "--model", str(model), str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]
    result = runner.invoke(app, [*args, "--device", "cpu", "--runtime", "onnxruntime", "--tile", "128"])
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "out" / "a.png").size == (20, 16)
    again = runner.invoke(app, [*args, "--device", "cpu", "--runtime", "onnxruntime", "--overwrite"])
    assert again.exit_code == 0 and "1 translated, 0 skipped" in " ".join(again.output.split())
