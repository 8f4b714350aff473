"""Pix2Pix end to end on tiny synthetic data: artefacts, checkpoint, exact resume, Ctrl-C, options, CLI."""

from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from i2i import checkpoint
from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.losses import l1_loss
from i2i.nn.layers import batchnorm_to_instancenorm
from i2i.train import pix2pix
from i2i.train.rundir import load_state, read_jsonl
from tests.train.conftest import tiny_config


def test_two_step_run_leaves_a_loadable_translating_checkpoint_and_parseable_files(tiny_ab, tmp_path):
    run = tmp_path / "run"
    result = pix2pix.train(tiny_config(tiny_ab, max_steps=2), run_dir=run)
    assert (result.step, result.epoch, result.stopped) == (2, 0, "max_steps")

    # release checkpoint: self-describing, rebuilds with no flags, translates an image
    loaded = checkpoint.load(result.checkpoint)
    header = loaded.header
    assert (header.task, header.direction, header.role) == ("pix2pix", "AtoB", "generator")
    assert header.domains == ("A", "B") and header.name == "tiny_A2B"
    assert header.arch.name == "unet" and header.arch.kwargs["num_downs"] == 5
    assert header.io.size_multiple == 32 and header.recipe["lambda_l1"] == 100.0
    gen = batchnorm_to_instancenorm(loaded.module).eval()
    x = torch.rand(1, 3, 64, 32) * 2 - 1
    with torch.no_grad():
        y = gen(x)
    assert y.shape == (1, 3, 64, 32) and y.abs().max() <= 1.0
    # the saved weights are the trained ones
    trained = result.generator.state_dict()
    assert all(
        torch.equal(v, trained[k]) for k, v in checkpoint.load(result.checkpoint).module.state_dict().items()
    )

    config = json.loads((run / "config.json").read_text())
    assert config["task"] == "pix2pix" and config["config"]["max_steps"] == 2
    records = read_jsonl(run / "train_log.jsonl")
    train_records = [r for r in records if r["kind"] == "train"]
    assert [r["step"] for r in train_records] == [1, 2]
    for key in ("G_GAN", "G_L1", "G", "D_real", "D_fake", "D", "acc_real", "acc_fake", "lr", "step_time"):
        assert isinstance(train_records[0][key], float), key
    val = [r for r in records if r["kind"] == "val"]
    assert val and {"val_L1", "val_PSNR", "val_SSIM"} <= val[-1].keys() and val[-1]["val_images"] == 2
    with Image.open(run / "loss_curves.png") as im:
        assert im.format == "PNG" and im.width > 100
    grids = sorted((run / "samples").glob("step_*.png"))
    assert [g.name for g in grids] == ["step_0000000.png", "step_0000002.png"]
    with Image.open(grids[-1]) as im:
        assert im.size[0] >= 3 * 32 and im.size[1] >= 2 * 32  # 2 rows of input | output | target
    state = load_state(run / "last.pt")
    assert (state["step"], state["epoch"], state["batch_in_epoch"]) == (2, 0, 2)


def _train_to(cfg, run: Path, steps: list[int]) -> pix2pix.TrainResult:
    result = None
    for i, stop in enumerate(steps):
        cfg_i = pix2pix.load_config(run, max_steps=stop) if i else pix2pix.replace(cfg, max_steps=stop)
        result = pix2pix.train(cfg_i, run_dir=run, resume=i > 0)
    assert result is not None
    return result


@pytest.mark.parametrize("first_stop", [4, 5])  # exactly at an epoch boundary, and mid-epoch
def test_interrupted_and_resumed_run_is_bit_identical(tiny_ab, tmp_path, first_stop):
    cfg = tiny_config(tiny_ab, log_every=100, sample_every=100)  # 4 steps/epoch, lr decays after epoch 1
    straight = _train_to(cfg, tmp_path / "straight", [6])
    resumed = _train_to(cfg, tmp_path / "resumed", [first_stop, 6])
    assert resumed.step == straight.step == 6
    a, b = load_state(tmp_path / "straight" / "last.pt"), load_state(tmp_path / "resumed" / "last.pt")
    for net in ("G", "D"):
        for key, value in a[net].items():
            assert torch.equal(value, b[net][key]), f"{net}.{key} differs"
    assert a["sched_G"] == b["sched_G"] and a["opt_G"]["param_groups"] == b["opt_G"]["param_groups"]
    lr = a["opt_G"]["param_groups"][0]["lr"]
    assert lr == pytest.approx(2e-4 * (1 - 1 / 3))  # epoch 1 of 1 + 2: linear decay factor 1 - 1/3
    for key, value in a["opt_D"]["state"].items():
        assert torch.equal(value["exp_avg"], b["opt_D"]["state"][key]["exp_avg"])
    assert torch.equal(a["rng"][0]["torch"], b["rng"][0]["torch"])


def test_resume_can_replan_the_schedule_and_a_later_resume_keeps_the_new_plan(tiny_ab, tmp_path):
    run = tmp_path / "run"
    pix2pix.train(tiny_config(tiny_ab, epochs=2, epochs_decay=2, max_steps=6), run_dir=run)  # in epoch 1
    config_before = (run / "config.json").read_bytes()
    with pytest.raises(I2IError, match=r"finished 1 epochs: epochs \+ epochs-decay \(1\) must be more"):
        pix2pix.train(pix2pix.load_config(run, epochs=1, epochs_decay=0), run_dir=run, resume=True)
    assert (run / "config.json").read_bytes() == config_before  # a refused resume writes nothing

    # 2 + 2 -> 1 + 3: epoch 1 (already begun at lr0) continues at 3/4 of it, then 2/4 and 1/4
    pix2pix.train(pix2pix.load_config(run, epochs=1, epochs_decay=3, max_steps=10), run_dir=run, resume=True)
    saved = json.loads((run / "config.json").read_text())["config"]
    assert (saved["epochs"], saved["epochs_decay"], saved["max_steps"]) == (1, 3, 10)
    resumed = pix2pix.train(pix2pix.load_config(run, max_steps=100), run_dir=run, resume=True)  # no flags
    assert (resumed.step, resumed.stopped) == (16, "done")  # 4 epochs of 4 steps: the new plan's end
    records = read_jsonl(run / "train_log.jsonl")
    lr = {r["step"]: r["lr"] / 2e-4 for r in records if r["kind"] == "train"}
    assert [round(lr[s], 6) for s in (4, 5, 6, 7, 8, 9, 12, 13, 16)] == [
        1,
        1,
        1,
        0.75,
        0.75,
        0.5,
        0.5,
        0.25,
        0.25,
    ]
    events = [r["message"] for r in records if r["kind"] == "event"]
    assert "resumed with max-steps 10, epochs 1, epochs-decay 3" in events


def test_a_cosine_schedule_cannot_be_replanned_on_resume(tiny_ab, tmp_path):
    run = tmp_path / "run"
    pix2pix.train(tiny_config(tiny_ab, lr_policy="cosine", max_steps=2), run_dir=run)
    with pytest.raises(I2IError, match="a cosine schedule fixes its length when the run starts"):
        pix2pix.train(pix2pix.load_config(run, epochs=5), run_dir=run, resume=True)


def test_ctrl_c_saves_resumable_state_and_stops_cleanly(tiny_ab, tmp_path, monkeypatch):
    calls = {"n": 0}
    real_step = pix2pix.Pix2Pix.train_step

    def step_then_interrupt(*args, **kwargs):
        out = real_step(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends
        return out

    monkeypatch.setattr(pix2pix.Pix2Pix, "train_step", step_then_interrupt)
    run = tmp_path / "run"
    # Whatever handler the process had (a background job starts with SIGINT ignored) comes back after.
    before = signal.getsignal(signal.SIGINT)
    result = pix2pix.train(tiny_config(tiny_ab, max_steps=50), run_dir=run)
    assert (result.stopped, result.step) == ("interrupted", 2)
    assert load_state(run / "last.pt")["step"] == 2
    assert checkpoint.load(run / "generator.pt").header.recipe["step"] == 2
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize(
    ("options", "dtype", "channels_last"),
    [
        ({"amp": "bf16"}, torch.bfloat16, False),
        ({"amp": "bf16", "channels_last": True, "batch_size": 2}, torch.bfloat16, True),
        ({"amp": "none"}, torch.float32, False),
    ],
)
def test_the_precision_asked_for_is_the_one_trained_in(
    tiny_ab, tmp_path, monkeypatch, options, dtype, channels_last
):
    # G(x) as the L1 term sees it in the training steps: bf16 out of autocast, in the memory format asked for
    # (the gradients themselves are compared with float64 in test_first_step_gradients.py).
    seen = []

    def spy(output, target):
        seen.append((output.dtype, output.is_contiguous(memory_format=torch.channels_last)))
        return l1_loss(output, target)

    monkeypatch.setattr(pix2pix, "l1_loss", spy)
    result = pix2pix.train(tiny_config(tiny_ab, max_steps=2, **options), run_dir=tmp_path / "run")
    assert result.step == 2 and all(math.isfinite(v) for v in result.losses.values())
    assert seen[-2:] == [(dtype, channels_last)] * 2  # the last two calls: the two steps after the check


@pytest.mark.parametrize(
    "options",
    [
        {"gan_mode": "wgangp", "netD": "pixel", "lr_policy": "plateau", "direction": "BtoA"},
        {"gan_mode": "lsgan", "norm": "instance", "lr_policy": "cosine", "batch_size": 2},
    ],
)
def test_options_train_with_finite_losses(tiny_ab, tmp_path, options):
    result = pix2pix.train(tiny_config(tiny_ab, max_steps=2, **options), run_dir=tmp_path / "run")
    assert result.step == 2
    assert all(torch.isfinite(torch.tensor(v)) for v in result.losses.values())
    header = checkpoint.read_header(result.checkpoint)
    assert header.direction == options.get("direction", "AtoB")


def test_bad_inputs_are_one_line_errors(tiny_ab, tmp_path):
    with pytest.raises(I2IError, match="not a multiple of 32"):
        pix2pix.train(tiny_config(tiny_ab, load_size=40, crop_size=24), run_dir=tmp_path / "a")
    with pytest.raises(I2IError, match="gan mode"):
        tiny_config(tiny_ab, gan_mode="nope")
    run = tmp_path / "b"
    pix2pix.train(tiny_config(tiny_ab, max_steps=1), run_dir=run)
    with pytest.raises(I2IError, match="already holds a run"):
        pix2pix.train(tiny_config(tiny_ab, max_steps=1), run_dir=run)


def test_cli_trains_into_the_default_run_dir_and_resumes(tiny_ab, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["train", "pix2pix", "--data", str(tiny_ab), "--netG", "unet", "--num-downs", "5"]
    args += ["--ngf", "4", "--ndf", "4", "--image-size", "32", "--max-steps", "1", "--workers", "0"]
    args += ["--device", "cpu", "--direction", "BtoA"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    (run,) = (tmp_path / "runs").glob("pix2pix-tiny-*")  # runs/pix2pix-<data name>-<timestamp>
    assert f"writing run in runs/{run.name}" in res.output.replace("\n", "")
    cfg = json.loads((run / "config.json").read_text())["config"]
    assert (cfg["load_size"], cfg["crop_size"], cfg["direction"]) == (36, 32, "BtoA")
    res = runner.invoke(app, ["train", "pix2pix", "--resume", str(run), "--max-steps", "2"])
    assert res.exit_code == 0, res.output
    assert load_state(run / "last.pt")["step"] == 2


def test_cli_without_data_exits_1_with_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "i2i.cli.main", "train", "pix2pix", "--device", "cpu"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: --data is required (a catalog name such as `facades`, or a folder), or --resume RUN_DIR"
    ]


def test_ema_and_snapshots_ranked_by_the_paired_probe(tiny_ab, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_config(tiny_ab, max_steps=4, ema=0.5, snapshot_every=2, keep_snapshots=1, eval_images=2)
    result = pix2pix.train(cfg, run_dir=run)
    evals = {r["step"]: r["eval_L1"] for r in read_jsonl(run / "train_log.jsonl") if r["kind"] == "eval"}
    assert sorted(evals) == [2, 4]  # each snapshot scored at its own step
    best = min(evals, key=lambda s: (evals[s], -s))
    expected = {f"step_{s:07d}_generator.pt" for s in (best, 4)}
    assert {p.name for p in (run / "checkpoints").iterdir()} == expected
    state = load_state(run / "last.pt")
    released = checkpoint.load(result.checkpoint).module.state_dict()
    assert all(torch.equal(v, state["ema_G"][k]) for k, v in released.items())
    assert not all(torch.equal(v, state["G"][k]) for k, v in released.items())
