"""The run-start gradient check (:mod:`i2i.train.gradcheck`): it is logged in words, changes nothing about
the run, falls back under ``--amp auto``, stops a precision asked for by name, and ``--no-grad-check``
skips it."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from i2i.amp import Precision
from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.train import cyclegan, gradcheck, pix2pix
from i2i.train.rundir import load_state, read_jsonl
from tests.train.conftest import tiny_config
from tests.train.test_cyclegan import tiny_cyclegan_config, write_unpaired

AUTO = Precision(torch.device("cpu"), "auto")
needs_bf16 = pytest.mark.skipif(AUTO.amp == "none", reason="--amp auto is float32 on this CPU")


def records(run, kind):
    return [r for r in read_jsonl(run / "train_log.jsonl") if r["kind"] == kind]


def test_precision_in_words_and_auto_means_nchw():
    assert Precision(torch.device("cpu"), "bf16").describe() == "bf16 autocast, NCHW"
    assert Precision(torch.device("cpu"), "none", True).describe() == "float32, channels_last"
    assert Precision(torch.device("cpu"), "fp16").describe() == "fp16 autocast with loss scaling, NCHW"
    assert AUTO.auto and not AUTO.channels_last
    assert not Precision(torch.device("cpu"), "bf16").auto


def test_agreement_of_gradients():
    g = torch.tensor([1.0, 2.0, -2.0])
    assert gradcheck.agreement(g, g) == gradcheck.Agreement(1.0, 0.0)
    a = gradcheck.agreement(-g, g)
    assert a.cosine == pytest.approx(-1.0) and a.rel_error == pytest.approx(2.0)
    assert gradcheck.agreement(torch.tensor([float("inf"), 0.0, 0.0]), g).rel_error == float("inf")


@needs_bf16
def test_the_check_is_logged_and_leaves_the_run_bit_identical(tmp_path):
    # CycleGAN: image pools and their RNG, dropout-free generators, instance norm; 3 steps at batch 1.
    data = write_unpaired(tmp_path / "data")
    checked = cyclegan.train(tiny_cyclegan_config(data, max_steps=3, amp="auto"), run_dir=tmp_path / "a")
    unchecked = cyclegan.train(
        tiny_cyclegan_config(data, max_steps=3, amp="auto", grad_check=False), run_dir=tmp_path / "b"
    )
    (record,) = records(tmp_path / "a", "gradcheck")
    assert record["precision"] == "bf16 autocast, NCHW" and record["passed"] and record["step"] == 0
    assert set(record["networks"]) == {"G_A", "G_B", "D_A", "D_B"}
    assert all(n["cosine"] > gradcheck.COSINE_MIN for n in record["networks"].values())
    assert records(tmp_path / "b", "gradcheck") == []
    a, b = load_state(tmp_path / "a" / "last.pt"), load_state(tmp_path / "b" / "last.pt")
    for net in ("G_A", "G_B", "D_A", "D_B"):
        for key, value in a[net].items():
            assert torch.equal(value, b[net][key]), f"{net}.{key}"
    assert torch.equal(a["rng"][0]["torch"], b["rng"][0]["torch"])
    assert torch.equal(a["per_rank"][0]["pool_rng"], b["per_rank"][0]["pool_rng"])
    assert checked.losses == unchecked.losses


def test_batch_norm_buffers_and_resume_are_untouched(tiny_ab, tmp_path):
    # pix2pix's batch norm updates running statistics in every train-mode step: the check restores them.
    cfg = tiny_config(tiny_ab, amp="bf16", max_steps=2, log_every=100, sample_every=100)
    pix2pix.train(cfg, run_dir=tmp_path / "a")
    pix2pix.train(pix2pix.replace(cfg, grad_check=False), run_dir=tmp_path / "b")
    pix2pix.train(pix2pix.load_config(tmp_path / "a", max_steps=5), run_dir=tmp_path / "a", resume=True)
    pix2pix.train(pix2pix.load_config(tmp_path / "b", max_steps=5), run_dir=tmp_path / "b", resume=True)
    a, b = load_state(tmp_path / "a" / "last.pt"), load_state(tmp_path / "b" / "last.pt")
    for key, value in a["G"].items():
        assert torch.equal(value, b["G"][key]), key
    assert [r["step"] for r in records(tmp_path / "a", "gradcheck")] == [0, 2]  # at the start and on resume


def test_float32_nchw_is_the_reference_itself(tiny_ab, tmp_path):
    pix2pix.train(tiny_config(tiny_ab, amp="none", max_steps=1), run_dir=tmp_path / "r")
    (record,) = records(tmp_path / "r", "gradcheck")
    assert record["precision"] == "float32, NCHW" and record["networks"] == {} and record["passed"]


@needs_bf16
def test_auto_falls_back_to_a_passing_precision(tiny_ab, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gradcheck, "COSINE_MIN", 1.01)  # nothing in bf16 reaches it
    result = pix2pix.train(tiny_config(tiny_ab, amp="auto", max_steps=1), run_dir=tmp_path / "r")
    assert result.step == 1
    first, second = records(tmp_path / "r", "gradcheck")
    assert (first["precision"], first["passed"]) == ("bf16 autocast, NCHW", False)
    assert (second["precision"], second["passed"]) == ("float32, NCHW", True)
    (warning,) = records(tmp_path / "r", "warning")
    assert warning["message"] == (
        "--amp auto: bf16 autocast, NCHW failed the gradient check; training in float32, NCHW instead"
    )


def test_a_precision_asked_for_by_name_stops_with_one_line(tiny_ab, tmp_path, monkeypatch):
    monkeypatch.setattr(gradcheck, "COSINE_MIN", 1.01)
    with pytest.raises(
        I2IError, match=r"gradient check failed: under bf16 autocast, NCHW .*drop --amp bf16 "
    ) as err:
        pix2pix.train(tiny_config(tiny_ab, amp="bf16", max_steps=1), run_dir=tmp_path / "r")
    assert "\n" not in str(err.value) and "G cos" in str(err.value)
    assert not (tmp_path / "r").exists()  # stopped before the run folder was made
    monkeypatch.setattr(gradcheck, "FLOAT32_COSINE_MIN", 1.01)
    with pytest.raises(I2IError, match=r"under float32, channels_last .*drop --channels-last \("):
        pix2pix.train(
            tiny_config(tiny_ab, amp="auto", channels_last=True, max_steps=1), run_dir=tmp_path / "s"
        )


def test_cli_no_grad_check_skips_it(tiny_ab, tmp_path):
    args = ["train", "pix2pix", "--data", str(tiny_ab), "--netG", "unet", "--num-downs", "5", "--ngf", "4"]
    args += ["--ndf", "4", "--image-size", "32", "--max-steps", "1", "--workers", "0", "--device", "cpu"]
    checked = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "a")])
    assert checked.exit_code == 0, checked.output
    assert "gradient check (" in checked.output or "gradient check: float32" in checked.output
    skipped = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "b"), "--no-grad-check"])
    assert skipped.exit_code == 0, skipped.output
    assert "gradient check" not in skipped.output and records(tmp_path / "b", "gradcheck") == []
