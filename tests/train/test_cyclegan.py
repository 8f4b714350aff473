"""CycleGAN training: a tiny run ends in two loadable directional checkpoints; exact resume; DDP; terms."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.train import cyclegan
from i2i.train.rundir import read_jsonl


def write_unpaired(root: Path, n_a: int = 4, n_b: int = 5, size: int = 40) -> Path:
    """trainA (reddish noise), trainB (bluish noise) and testA/testB with two images each."""
    rng = np.random.default_rng(0)
    for split, counts in (("train", (n_a, n_b)), ("test", (2, 2))):
        for domain, n, channel in (("A", counts[0], 0), ("B", counts[1], 2)):
            folder = root / f"{split}{domain}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                img = rng.integers(0, 120, (size, size, 3), dtype=np.uint8)
                img[..., channel] += 120
                Image.fromarray(img).save(folder / f"{i}.png")
    return root


def tiny_cyclegan_config(data: Path, **overrides: Any) -> cyclegan.CycleGANConfig:
    base: dict[str, Any] = {
        "data": str(data),
        "netG": "resnet_6blocks",
        "ngf": 4,
        "ndf": 4,
        "load_size": 36,
        "crop_size": 32,
        "workers": 0,
        "device": "cpu",
        "epochs": 1,
        "epochs_decay": 1,
        "pool_size": 3,
        "log_every": 1,
        "sample_every": 2,
        "n_samples": 2,
        "seed": 5,
        "amp": "none",  # bit-exact float32: the auto default would pick bf16 on bf16 CPUs
    }
    base.update(overrides)
    return cyclegan.CycleGANConfig(**base)


@pytest.fixture
def unpaired(tmp_path: Path) -> Path:
    return write_unpaired(tmp_path / "red2blue")


def test_two_steps_give_two_loadable_directional_checkpoints(unpaired, tmp_path):
    result = cyclegan.train(tiny_cyclegan_config(unpaired, max_steps=2), run_dir=tmp_path / "run")
    assert result.step == 2 and result.stopped == "max_steps"
    forward, backward = result.checkpoints
    assert forward.name == "generator_red2blue.pt" and backward.name == "generator_blue2red.pt"
    for path, direction, domains in ((forward, "AtoB", ("red", "blue")), (backward, "BtoA", ("blue", "red"))):
        loaded = checkpoint.load(path)
        h = loaded.header
        assert (h.task, h.direction, h.domains, h.name) == ("cyclegan", direction, domains, "2".join(domains))
        assert h.arch.name == "resnet_6blocks" and h.io.size_multiple == 4
        with torch.no_grad():
            out = loaded.module(torch.rand(1, 3, 24, 32) * 2 - 1)
        assert out.shape == (1, 3, 24, 32) and out.abs().max() <= 1
    run = tmp_path / "run"
    records = read_jsonl(run / "train_log.jsonl")
    train_records = [r for r in records if r["kind"] == "train"]
    assert [r["step"] for r in train_records] == [1, 2]
    assert set(cyclegan.LOSS_KEYS) <= set(train_records[-1])
    assert all(np.isfinite(train_records[-1][k]) for k in cyclegan.LOSS_KEYS)
    grid = Image.open(run / "samples" / "step_0000002.png")
    assert grid.height > 4 * 32  # 2 samples per direction -> 4 rows
    assert (run / "loss_curves.png").is_file() and (run / "last.pt").is_file()
    assert json.loads((run / "config.json").read_text())["task"] == "cyclegan"


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    state = torch.load(run_dir / "last.pt", weights_only=True)
    return {f"{net}.{k}": v for net in ("G_A", "G_B", "D_A", "D_B") for k, v in state[net].items()}


def test_interrupted_and_resumed_run_is_bit_identical(unpaired, tmp_path):
    # 4 + 5 images: 5 steps per epoch, so 7 steps cross an epoch boundary and the lr decay.
    cyclegan.train(tiny_cyclegan_config(unpaired, max_steps=7), run_dir=tmp_path / "straight")
    cyclegan.train(tiny_cyclegan_config(unpaired, max_steps=3), run_dir=tmp_path / "split")
    cfg = cyclegan.load_config(tmp_path / "split", max_steps=7)
    result = cyclegan.train(cfg, run_dir=tmp_path / "split", resume=True)
    assert result.step == 7
    straight, split = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert straight.keys() == split.keys()
    assert all(torch.equal(straight[k], split[k]) for k in straight)
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    assert a["opt_G"]["param_groups"][0]["lr"] == b["opt_G"]["param_groups"][0]["lr"] < 2e-4
    assert all(
        torch.equal(x, y)
        for x, y in zip(
            a["per_rank"][0]["pool_A"]["images"], b["per_rank"][0]["pool_A"]["images"], strict=True
        )
    )


def test_identity_term_feeds_each_generator_its_output_domain():
    class Const(torch.nn.Module):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def forward(self, x):
            return torch.full_like(x, self.value)

    nets = {"G_A": Const(0.5), "G_B": Const(-0.5), "D_A": torch.nn.Identity(), "D_B": torch.nn.Identity()}
    a, b = torch.full((1, 3, 4, 4), -0.5), torch.full((1, 3, 4, 4), 0.5)
    cfg = tiny_cyclegan_config(Path("."), gan_mode="lsgan")
    _, terms, fakes = cyclegan.generator_losses(nets, a, b, cfg)
    # G_A makes 0.5 (domain B's value): identity on b costs 0; G_B makes -0.5: identity on a costs 0.
    assert terms["idt_A"].item() == 0 and terms["idt_B"].item() == 0
    assert terms["cycle_A"].item() == 0 and terms["cycle_B"].item() == 0
    assert torch.equal(fakes["fake_B"], torch.full_like(b, 0.5))
    no_idt = cyclegan.generator_losses(nets, a, b, tiny_cyclegan_config(Path("."), lambda_identity=0))
    assert "idt_A" not in no_idt[1]


def test_domain_names():
    assert cyclegan.domain_names("apple2orange", "AtoB") == ("apple", "orange")
    assert cyclegan.domain_names("apple2orange", "BtoA") == ("orange", "apple")
    assert cyclegan.domain_names("mydata", "AtoB") == ("A", "B")


def test_bad_config_is_a_clear_error(unpaired):
    with pytest.raises(I2IError, match="direction"):
        tiny_cyclegan_config(unpaired, direction="sideways")
    with pytest.raises(I2IError, match="lambda-identity"):
        tiny_cyclegan_config(unpaired, lambda_identity=-1)
    with pytest.raises(I2IError, match="not a multiple of 4"):
        cyclegan.train(tiny_cyclegan_config(unpaired, crop_size=34, load_size=36))


def test_cli_trains_with_the_card_options(unpaired, tmp_path):
    from i2i.cli.main import app

    args = [
        "train",
        "cyclegan",
        "--data",
        str(unpaired),
        "--out",
        str(tmp_path / "cli"),
        "--netG",
        "resnet_6blocks",
    ]
    args += ["--ngf", "4", "--ndf", "4", "--image-size", "32", "--max-steps", "1", "--workers", "0"]
    args += ["--gan-mode", "hinge", "--pool-size", "0", "--lambda-identity", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "generator_red2blue.pt").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_cpu_ranks_stay_in_sync_and_only_rank_0_writes(unpaired, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2"]
    cmd += ["--master_addr=127.0.0.1", f"--master_port={_free_port()}"]
    cmd += [
        str(Path(__file__).with_name("cyclegan_ddp_worker.py")),
        str(unpaired),
        str(tmp_path / "run"),
        str(results),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0, r1 = (json.loads((results / f"rank{k}.json").read_text()) for k in (0, 1))
    assert r0["step"] == r1["step"] == 3
    assert r0["digest"] == r1["digest"]
    assert r1["writes"] == [] and {"save_state", "write_json", "save"} <= set(r0["writes"])
    steps = [r["step"] for r in read_jsonl(tmp_path / "run" / "train_log.jsonl") if r["kind"] == "train"]
    assert steps == [1, 2, 3]


def test_ema_snapshots_hold_both_directions(unpaired, tmp_path):
    run = tmp_path / "run"
    result = cyclegan.train(
        tiny_cyclegan_config(unpaired, max_steps=2, ema=0.9, snapshot_every=2), run_dir=run
    )
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["step_0000002_generator_blue2red.pt", "step_0000002_generator_red2blue.pt"]
    state = torch.load(run / "last.pt", weights_only=True)
    for path, net in zip(result.checkpoints, ("G_A", "G_B"), strict=True):
        released = checkpoint.load(path).module.state_dict()
        assert all(torch.equal(v, state[f"ema_{net}"][k]) for k, v in released.items()), net
