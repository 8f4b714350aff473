"""Resume cases the recipe tests did not cover, through the CLI: plain CUT (its identity PatchNCE and the
authors' decay epochs), a run whose data loader has worker processes, and fp16 autocast with its loss
scaler. Each run is split (``--max-steps`` k, then ``--resume``) and must end bit-identical to the same run
done in one go: every tensor of ``last.pt``, the scaler's scale included.

Written for issue 45 (test gaps). The fp16 test found two bugs of the run-start gradient check: its first
fp16 step overflowed at the scaler's starting scale of 2**16 and was compared as infinities (every fp16 run
stopped), and on a resumed fp16 run it replaced the restored loss scalers with fresh ones.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from typer.testing import CliRunner

from i2i.cli.main import app
from tests.train.conftest import write_ab_dataset
from tests.train.test_cyclegan import write_unpaired

TINY = ["--ngf", "4", "--ndf", "4", "--load-size", "36", "--crop-size", "32", "--device", "cpu",
        "--log-every", "1", "--sample-every", "1000", "--n-samples", "1", "--seed", "11"]  # fmt: skip


def run_cli(args: list[str], own_process: bool = False) -> str:
    """``i2i ARGS`` in this process, or with ``own_process`` in a new one: a run that forks data-loader
    workers must not fork this test process, which may hold OpenVINO's threads from an earlier test file
    (forking after OpenVINO has run crashed the forking process; README, "Choosing a runtime")."""
    if own_process:
        done = subprocess.run(
            [sys.executable, "-m", "i2i.cli.main", *args], capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, (done.stdout, done.stderr)
        return done.stdout + done.stderr
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def tensors(value: Any, prefix: str = "") -> dict[str, torch.Tensor]:
    """Every tensor (and number) in a ``last.pt`` payload, by its path of keys."""
    if isinstance(value, torch.Tensor):
        return {prefix: value}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {prefix: torch.tensor(value)}
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return {}
    found: dict[str, torch.Tensor] = {}
    for key, item in items:
        found |= tensors(item, f"{prefix}/{key}")
    return found


def assert_split_run_is_identical(
    args: list[str], tmp_path: Path, total: int, first: int, own_process: bool = False
) -> None:
    run_cli([*args, "--max-steps", str(total), "-o", str(tmp_path / "straight")], own_process)
    run_cli([*args, "--max-steps", str(first), "-o", str(tmp_path / "split")], own_process)
    recipe = args[1]
    run_cli(["train", recipe, "--resume", str(tmp_path / "split"), "--max-steps", str(total)], own_process)
    load = lambda run: torch.load(run / "last.pt", map_location="cpu", weights_only=True)  # noqa: E731
    a, b = tensors(load(tmp_path / "straight")), tensors(load(tmp_path / "split"))
    a.pop("/time", None), b.pop("/time", None)
    assert a.keys() == b.keys(), sorted(set(a) ^ set(b))
    different = [k for k in a if not torch.equal(a[k], b[k]) and "time" not in k]
    assert not different, different[:10]


def test_plain_cut_resumes_bit_identically_across_the_decay_epoch(tmp_path: Path) -> None:
    # 4 apples, 5 oranges: 5 steps an epoch; --epochs 1 --epochs-decay 1, so steps 6-7 are the decay epoch,
    # where CUT loads at the crop size (no jitter); the split at step 3 is mid-epoch.
    data = write_unpaired(tmp_path / "data")
    args = ["train", "cut", "--data", str(data), "--netG", "resnet_6blocks", "--num-patches", "16",
            "--epochs", "1", "--epochs-decay", "1", "--diffaug", "translation,cutout", "--workers", "0",
            "--amp", "none", *TINY]  # fmt: skip
    assert_split_run_is_identical(args, tmp_path, total=7, first=3)


def test_resume_with_data_loader_workers_is_bit_identical(tmp_path: Path) -> None:
    # one worker process loads and jitters the images; the split falls mid-epoch (4 images an epoch)
    data = write_ab_dataset(tmp_path / "data", n_train=4)
    args = ["train", "pix2pix", "--data", str(data), "--netG", "unet", "--num-downs", "5", "--epochs", "2",
            "--epochs-decay", "1", "--val-every", "1000", "--workers", "1", "--amp", "none",
            *TINY]  # fmt: skip
    assert_split_run_is_identical(args, tmp_path, total=7, first=2, own_process=True)


def test_fp16_autocast_trains_with_its_loss_scaler_and_resumes_it(tmp_path: Path) -> None:
    data = write_ab_dataset(tmp_path / "data", n_train=4)
    args = ["train", "pix2pix", "--data", str(data), "--netG", "unet", "--num-downs", "5", "--epochs", "2",
            "--epochs-decay", "1", "--val-every", "1000", "--workers", "0", "--amp", "fp16",
            *TINY]  # fmt: skip
    output = run_cli([*args, "--max-steps", "3", "-o", str(tmp_path / "probe")])
    assert "fp16 autocast with loss scaling" in output
    state = tensors(torch.load(tmp_path / "probe" / "last.pt", map_location="cpu", weights_only=True))
    scales = {k: float(v) for k, v in state.items() if k.endswith("/scale")}
    assert scales, "no loss-scaler state in last.pt"
    assert all(math.isfinite(s) and s > 0 for s in scales.values()), scales
    weights = [v for k, v in state.items() if v.is_floating_point() and "/G/" in k]
    assert weights and all(torch.isfinite(w).all() for w in weights)
    assert_split_run_is_identical(args, tmp_path, total=6, first=3)
