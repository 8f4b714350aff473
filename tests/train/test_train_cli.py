"""`i2i train <recipe>` is generated from the config dataclasses: one flag per field, defaults stated once,
enum choices checked by click, paper spellings as aliases, the same run flags in every recipe."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest
from typer.testing import CliRunner

from i2i.cli import train as train_cli
from i2i.cli.main import app
from i2i.train.config import GanMode

runner = CliRunner()
SHARED = ("--out", "--resume", "--max-steps", "--max-minutes", "--amp", "--device", "--workers", "--ema")


def _command(name: str):
    return train_cli.build_command(name, train_cli.RECIPES[name])


def _options(name: str) -> dict[str, list[str]]:
    """{parameter name: its option strings} of recipe command ``name``."""
    return {p.name: p.opts for p in _command(name).params}


@pytest.mark.parametrize("name", list(train_cli.RECIPES))
def test_every_config_field_has_a_kebab_case_flag_and_the_shared_flags_are_everywhere(name):
    options = _options(name)
    config_class = train_cli.RECIPES[name].load().config_class
    cli_fields = [f.name for f in fields(config_class) if f.metadata.get("cli", True)]
    assert set(options) == {"resume", *cli_fields}
    for option in (o for opts in options.values() for o in opts if o != "-o"):  # -o: short for --output
        assert option.startswith("--") and option[2:].replace("-", "").replace("/", "").isalnum()
    assert all(any(flag in opts[0] for opts in options.values()) for flag in SHARED)
    assert options["workers"] == ["--workers"]


def test_paper_spellings_are_aliases_of_the_kebab_case_flags():
    options = _options("cyclegan")
    assert options["netG"] == ["--net-g", "--netG"] and options["lambda_A"] == ["--lambda-a", "--lambda-A"]
    assert options["n_layers_D"] == ["--n-layers-d", "--n-layers-D"]
    assert options["out"] == ["--out", "-o", "--output"]  # as every command that writes files
    a = _command("cyclegan").make_context("cyclegan", ["--lambda-A", "3", "--netG", "unet_128"]).params
    b = _command("cyclegan").make_context("cyclegan", ["--lambda-a", "3", "--net-g", "unet_128"]).params
    assert a == b and a["lambda_A"] == 3.0 and a["netG"] == "unet_128" and a["lambda_B"] is None


def test_help_lists_enum_choices_defaults_and_what_workers_means():
    result = runner.invoke(app, ["train", "cyclegan", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "vanilla|lsgan|wgangp|hinge" in result.output and "none|bf16|fp16" in result.output
    assert "auto|cpu|cuda" in result.output and "[default: lsgan]" in result.output
    assert "Data-loader worker processes" in result.output


def test_a_bad_choice_exits_2_naming_the_valid_values():
    result = runner.invoke(app, ["train", "pix2pix", "--data", "x", "--gan-mode", "bogus"])
    assert result.exit_code == 2
    valid = ", ".join(f"'{m.value}'" for m in GanMode)
    assert "'bogus' is not one of" in result.output and valid in result.output


def test_only_the_options_given_reach_the_config_so_defaults_live_in_the_dataclass(monkeypatch):
    from i2i.train import harness
    from i2i.train.pix2pix import Pix2PixConfig

    seen = {}

    def fake_train(recipe, cfg, **kwargs):
        seen["cfg"] = cfg
        return harness.TrainResult(kwargs.get("run_dir") or cfg.out, 0, 0, "done", {}, {})

    monkeypatch.setattr(harness, "train", fake_train)
    result = runner.invoke(app, ["train", "pix2pix", "--data", "facades", "--image-size", "128", "--no-flip"])
    assert result.exit_code == 0, result.output
    assert seen["cfg"] == Pix2PixConfig(data="facades", image_size=128, flip=False)
    assert (seen["cfg"].load_size, seen["cfg"].crop_size, seen["cfg"].workers) == (143, 128, None)


def test_default_workers_leave_a_core_for_training_and_never_exceed_four(monkeypatch):
    from i2i.train import batches

    for cores, expected in ((1, 0), (2, 1), (3, 2), (16, 4)):
        monkeypatch.setattr(
            batches.os, "sched_getaffinity", lambda pid, n=cores: set(range(n)), raising=False
        )
        assert batches.default_workers() == expected


def test_resume_refuses_options_that_would_change_the_run(tmp_path):
    result = runner.invoke(app, ["train", "cyclegan", "--resume", str(tmp_path), "--ngf", "8"])
    assert result.exit_code == 1
    assert "--ngf cannot change; only --max-steps, --max-minutes, --workers, --device" in str(
        result.exception
    )


def test_style_without_required_options_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["train", "style", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert str(result.exception) == "--style is required (a file or a bundled name), or --resume RUN_DIR"


def test_the_cli_module_does_not_import_torch():
    code = "import sys, i2i.cli.main; assert 'torch' not in sys.modules, 'torch imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_a_one_step_run_with_the_default_workers_prints_no_worker_warning(tmp_path):
    import os
    import subprocess
    import sys

    from tests.train.conftest import write_ab_dataset

    data = write_ab_dataset(tmp_path / "tiny", n_train=2, n_val=1)
    args = ["train", "pix2pix", "--data", str(data), "--net-g", "unet", "--num-downs", "5", "--ngf", "4",
            "--ndf", "4", "--image-size", "32", "--max-steps", "1", "--amp", "none",
            "--out", str(tmp_path / "r")]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "i2i.cli.main", *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "worker" not in (proc.stdout + proc.stderr).lower()
