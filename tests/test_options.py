"""Options declared once in dataclasses (:mod:`i2i.options`) and turned into flags (:mod:`i2i.cli.options`):
the flags, their help defaults and the values a command builds must all come from the dataclass."""

from __future__ import annotations

import pickle
import re
from dataclasses import MISSING, fields

import pytest
from typer.testing import CliRunner

from i2i.cli.main import app
from i2i.cli.options import cli_fields, flags, given
from i2i.errors import I2IError
from i2i.eval.options import FolderOptions, PairedOptions, StyleEvalOptions, UnpairedOptions
from i2i.optimize.dream_options import DreamConfig, DreamJob, Preset
from i2i.optimize.stylize_options import FastStyleRun, NeuralStyleConfig, StylizeJob
from i2i.options import Amp, Device, plain_values
from i2i.runtime.translate_options import TranslateOptions, TranslateRun
from i2i.serve.settings import ServeOptions
from i2i.train.config import Direction

runner = CliRunner()


def test_choices_pickle_from_the_module_that_declares_them():
    for member in (Direction.AtoB, Amp.bf16, Device.cpu, Preset.deep):
        assert pickle.loads(pickle.dumps(member)) is member


@pytest.mark.parametrize(
    "command, classes",
    [
        ("dream", (DreamJob, DreamConfig)),
        ("translate", (TranslateRun, TranslateOptions)),
        ("eval model", (UnpairedOptions,)),
        ("eval compare", (UnpairedOptions,)),
        ("eval paired", (PairedOptions,)),
        ("eval fid", (FolderOptions,)),
        ("eval style", (StyleEvalOptions,)),
        ("stylize", (StylizeJob, NeuralStyleConfig, FastStyleRun)),
        ("serve", (ServeOptions,)),
    ],
)
def test_every_field_is_a_flag_whose_help_shows_the_dataclass_default(command, classes, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    text = runner.invoke(app, [*command.split(), "--help"], terminal_width=400).output
    options = (re.match(r"│\s*\*?\s*(--[\w-]+)", line) for line in text.splitlines())
    lines = {found[1]: found.string for found in options if found}
    for cls in classes:
        for f in cli_fields(cls):
            main = flags(f)[0]
            assert main in lines, f"{main} missing from `i2i {command} --help`"
            if f.default not in (MISSING, None, ()) and f.metadata.get("show_default", True):
                shown = f.default.value if hasattr(f.default, "value") else f.default
                expected = f"[default: {shown:g}]" if isinstance(shown, float) else f"[default: {shown}]"
                assert expected in lines[main], (f.name, expected)


def test_given_keeps_only_the_options_of_one_class_that_were_given():
    values = {"octaves": 2, "steps": None, "seed": 3, "preset": None, "unknown": 1}
    assert given(values, DreamConfig) == {"octaves": 2}
    assert given(values, DreamJob) == {"seed": 3}


def test_the_job_resolves_its_layers_and_checks_its_choices():
    assert DreamJob(inputs=(), backbone="vgg16").config.layers == {"relu4_3": 1.0, "relu5_3": 1.0}
    assert set(DreamJob(inputs=(), preset="deep").config.layers) == {"mixed7", "mixed8"}
    with pytest.raises(I2IError, match="valid amp values: auto, none, bf16, fp16"):
        DreamJob(inputs=(), amp="int8")
    values = plain_values(DreamJob(inputs=()))
    assert values["amp"] == "auto" and values["config"]["octaves"] == 4 and values["output"] is None


def test_a_field_without_cli_stays_off_the_command_line():
    assert "layers" not in {f.name for f in cli_fields(DreamConfig)}  # chosen by --preset/--layers
    assert {f.name for f in fields(DreamJob)} - {f.name for f in cli_fields(DreamJob)} == {
        "inputs",
        "config",
        "plain_progress",
    }


def test_translate_options_check_their_values_wherever_they_are_built():
    assert TranslateOptions().overlap == 64  # the library and the CLI share one default
    with pytest.raises(I2IError, match="--overlap 64 must be smaller than --tile 32"):
        TranslateOptions(tile=32)
    with pytest.raises(I2IError, match="batch must be >= 1"):
        TranslateOptions(batch=0)
    with pytest.raises(I2IError, match="valid runtime values: auto, onnxruntime, openvino"):
        TranslateRun(model="m", runtime="tensorflow")


def test_a_required_field_is_a_required_option(tmp_path):
    result = runner.invoke(app, ["translate", str(tmp_path), str(tmp_path / "out")])
    assert result.exit_code == 2 and "Missing option '--model'" in result.output
