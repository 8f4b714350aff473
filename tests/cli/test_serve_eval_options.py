"""`i2i serve` and `i2i eval paired|fid|style` options (:class:`~i2i.serve.settings.ServeOptions`,
:mod:`i2i.eval.options`): one default per option, the flags' units turned into the service's, the same
checks from Python as on the command line, and one line for a bad value. Fast: nothing is served or
evaluated."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from i2i.cli.eval import app as eval_app
from i2i.errors import I2IError
from i2i.eval.options import FolderOptions, PairedOptions, StyleEvalOptions
from i2i.serve.command import register
from i2i.serve.settings import ServeOptions, ServeSettings

runner = CliRunner()


def _serve_app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a group, so that `serve` is a subcommand
    return app


def test_serve_options_default_to_the_service_settings():
    assert ServeOptions().settings() == ServeSettings()


def test_serve_flags_units_become_the_service_units(tmp_path):
    (tmp_path / "token").write_text("s3cret\n")
    options = ServeOptions(
        models=" a, b:BtoA ,", max_mb=1, max_megapixels=2.5, max_memory=100, min_upload_kib=2, quiet=True,
        allow_host=["box"], allow_origin=["https://example.org"], token_file=tmp_path / "token", device="cpu",
    )  # fmt: skip
    settings = options.settings()
    assert settings.models == ("a", "b:BtoA") and settings.token == "s3cret"
    assert (settings.max_bytes, settings.max_pixels, settings.max_memory) == (2**20, 2_500_000, 100 * 2**20)
    assert settings.min_upload_rate == 2048 and settings.log_requests is False and settings.device == "cpu"
    assert settings.allowed_hosts == ("box",) and settings.allowed_origins == ("https://example.org",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": 70000}, "port must be <= 65535, got 70000"),
        ({"workers": 0}, "workers must be >= 1, got 0"),
        ({"max_memory": 32}, "max-memory must be >= 64, got 32"),
        ({"device": "tpu"}, "valid device values: auto, cpu, cuda, tensorrt"),
        ({"token": "a", "token_file": "t"}, "give the token once: --token/I2I_SERVE_TOKEN or --token-file"),
    ],
)
def test_serve_options_check_their_values_from_python(kwargs, message):
    with pytest.raises(I2IError, match=message.replace("(", r"\(")):
        ServeOptions(**kwargs)


def test_serve_bounds_are_checked_by_click_too():
    result = runner.invoke(_serve_app(), ["serve", "--port", "70000"])
    said = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "'--port'" in said and "65535" in said


def test_the_token_variable_counts_as_a_given_token(tmp_path):
    (tmp_path / "token").write_text("s3cret\n")
    args = ["serve", "--token-file", str(tmp_path / "token")]
    result = runner.invoke(_serve_app(), args, env={"I2I_SERVE_TOKEN": "other"})
    assert isinstance(result.exception, I2IError) and "give the token once" in str(result.exception)


def test_paired_options_check_their_values_and_name_the_library_arguments():
    arguments = PairedOptions(lpips="none", kid=True, direction="BtoA").arguments()
    assert arguments["lpips_net"] is None and arguments["with_kid"] is True
    assert arguments["direction"] == "BtoA" and arguments["device"] == "auto"
    assert not {"lpips", "kid"} & set(arguments)
    assert PairedOptions().arguments()["lpips_net"] == "vgg"
    for kwargs, message in (({"limit": 0}, "limit must be >= 1"), ({"size": 8}, "size must be >= 16")):
        with pytest.raises(I2IError, match=message):
            PairedOptions(**kwargs)


def test_fid_passes_its_options_to_the_library(tmp_path, monkeypatch):
    import i2i.eval.distribution

    seen = {}
    monkeypatch.setattr(i2i.eval.distribution, "compare_folders", lambda **kw: seen.update(kw) or 1 / 0)
    result = runner.invoke(eval_app, ["fid", "--real", "r", "--fake", "f", "--kid-subsets", "3"])
    assert isinstance(result.exception, ZeroDivisionError)
    assert seen == {
        "real": "r", "fake": "f", "weights": None, "device": "cpu", "kid_subsets": 3, "kid_subset_size": 1000,
    }  # fmt: skip
    with pytest.raises(I2IError, match="kid-subset-size must be >= 2, got 1"):
        FolderOptions(real="r", fake="f", kid_subset_size=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["paired", "-m", "m", "--data", "d", "--limit", "0"], "limit must be >= 1, got 0"),
        (["fid", "--real", "r", "--fake", "f", "--kid-subsets", "0"], "kid-subsets must be >= 1, got 0"),
        (["style", "-m", "m", "--photos", "p", "-s", "starry", "--size", "0"], "size must be >= 1, got 0"),
    ],
)
def test_eval_bad_values_are_one_line_before_any_work(args, message):
    result = runner.invoke(eval_app, args)
    assert isinstance(result.exception, I2IError) and str(result.exception) == message


def test_eval_bounds_and_choices_exit_2():
    threads = runner.invoke(eval_app, ["style", "-m", "m", "--photos", "p", "-s", "x", "--threads", "0"])
    assert threads.exit_code == 2 and "'--threads'" in threads.output
    device = runner.invoke(eval_app, ["paired", "-m", "m", "--data", "d", "--device", "tpu"])
    assert device.exit_code == 2 and "tpu" in device.output
    assert StyleEvalOptions(model="m", photos="p", style="s").arguments()["size"] == 256
