"""`--eval-every` in pix2pix training: paired metrics on fixed val images, logged, plotted; off by default."""

from __future__ import annotations

import shutil

import pytest

from i2i.errors import I2IError
from i2i.eval.probes import EVAL_CURVES_FILE, PAIRED_KEYS
from i2i.train import pix2pix
from i2i.train.rundir import LOG_FILE, read_jsonl
from tests.train.conftest import tiny_config


def test_eval_every_logs_paired_metrics_and_draws_curves(tiny_ab, tmp_path):
    run = tmp_path / "run"
    pix2pix.train(tiny_config(tiny_ab, max_steps=4, eval_every=2, eval_images=2), run_dir=run)
    evals = [r for r in read_jsonl(run / LOG_FILE) if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [2, 4]
    for record in evals:
        assert record["eval_images"] == 2 and set(PAIRED_KEYS) <= set(record)
        assert (
            0 <= record["eval_L1"] <= 1 and 0 <= record["eval_PSNR"] <= 100 and -1 <= record["eval_SSIM"] <= 1
        )
    assert (run / EVAL_CURVES_FILE).is_file()


def test_eval_is_off_by_default(tiny_ab, tmp_path):
    run = tmp_path / "run"
    pix2pix.train(tiny_config(tiny_ab, max_steps=2), run_dir=run)
    assert not any(r["kind"] == "eval" for r in read_jsonl(run / LOG_FILE))
    assert not (run / EVAL_CURVES_FILE).exists()


def test_eval_needs_a_held_out_split_and_sane_options(tiny_ab, tmp_path):
    shutil.rmtree(tiny_ab / "val")
    with pytest.raises(I2IError, match="needs a val/ or test/ split"):
        pix2pix.train(tiny_config(tiny_ab, max_steps=1, eval_every=1), run_dir=tmp_path / "run")
    with pytest.raises(I2IError, match="eval-every must be >= 1"):
        tiny_config(tiny_ab, eval_every=0)
    with pytest.raises(I2IError, match="eval-images must be >= 2"):
        tiny_config(tiny_ab, eval_images=1)
