"""The run harness on a toy recipe: EMA, numbered snapshots with best-by-metric, the divergence guard and
resuming from the last good state; plus the EMA, guard and snapshot helpers on their own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.train import harness
from i2i.train.ema import EMA
from i2i.train.guard import DivergenceGuard
from i2i.train.rundir import load_state, read_jsonl
from i2i.train.snapshots import Snapshots
from tests.train.toy_recipe import Toy, ToyConfig


def _train(run: Path, resume: bool = False, **options) -> harness.TrainResult:
    if resume:
        cfg = harness.load_config(ToyConfig, "toy", run, **options)
    else:
        cfg = ToyConfig(device="cpu", **options)
    return harness.train(Toy, cfg, run_dir=run, resume=resume)


# ------------------------------------------------------------------------------------------------ EMA
def test_ema_is_the_exponential_average_of_the_weights():
    net = torch.nn.Linear(2, 1)
    ema = EMA(net, decay=0.75)
    start = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(4.0)
    ema.update(net)
    assert torch.allclose(ema.module.weight, start + 1.0)  # 0.75 * w0 + 0.25 * (w0 + 4)
    assert not ema.module.weight.requires_grad
    with pytest.raises(ValueError):
        EMA(net, decay=1.0)


def test_ema_run_releases_the_average_and_resumes_bit_identically(tmp_path):
    straight = _train(tmp_path / "straight", ema=0.9, max_steps=6)
    _train(tmp_path / "split", ema=0.9, max_steps=3)
    _train(tmp_path / "split", resume=True, max_steps=6)
    a, b = load_state(tmp_path / "straight" / "last.pt"), load_state(tmp_path / "split" / "last.pt")
    for key in ("net", "ema_net"):
        assert all(torch.equal(v, b[key][k]) for k, v in a[key].items()), key
    # the release checkpoint holds the average, not the raw weights
    released = checkpoint.load(straight.checkpoint).module.state_dict()
    assert all(torch.equal(v, a["ema_net"][k]) for k, v in released.items())
    assert not all(torch.equal(v, a["net"][k]) for k, v in released.items())
    generator = straight.generator.state_dict()
    assert all(torch.equal(v.cpu(), a["ema_net"][k]) for k, v in generator.items())


# ------------------------------------------------------------------------------------------------ snapshots
def test_snapshots_keep_the_last_ones_and_the_best_by_the_probe_metric(tmp_path):
    run = tmp_path / "run"
    scores = (5.0, 1.0, 4.0, 3.0, 2.0)  # best at step 2
    _train(run, max_steps=5, snapshot_every=1, keep_snapshots=2, scores=scores)
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["step_0000002_model.pt", "step_0000004_model.pt", "step_0000005_model.pt"]
    assert checkpoint.read_header(run / "checkpoints" / names[0]).recipe["step"] == 2
    evals = [(r["step"], r["eval_L1"]) for r in read_jsonl(run / "train_log.jsonl") if r["kind"] == "eval"]
    assert evals == list(enumerate(scores, start=1))  # each snapshot was scored at its own step
    state = load_state(run / "last.pt")
    assert [e["step"] for e in state["snapshots"]["entries"]] == [2, 4, 5]


def test_snapshots_without_a_metric_keep_only_the_latest(tmp_path):
    snaps = Snapshots(tmp_path, keep=2)
    for step in (1, 2, 3):
        path = tmp_path / f"step_{step:07d}_g.pt"
        path.write_bytes(b"x")
        snaps.add(step, [path], None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_0000002_g.pt", "step_0000003_g.pt"]
    # a resumed run at step 2 drops the snapshot of the abandoned continuation
    restored = Snapshots(tmp_path, keep=2)
    restored.load_state_dict(snaps.state_dict(), step=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_0000002_g.pt"]


# ------------------------------------------------------------------------------------------------ guard
def test_guard_needs_a_history_then_stops_above_factor_times_the_median():
    guard = DivergenceGuard(10.0, ("G",), window=4, warmup=3)
    assert guard.check({"G": 100.0, "D": 0.1}) is None  # no history yet: anything goes
    assert guard.check({"G": 1.0}) is None and guard.check({"G": 2.0}) is None
    assert guard.check({"G": 20.0, "D": 5.0}) is None  # 20 <= 10 x median(100, 1, 2) = 20
    assert guard.check({"G": 109.0}) is None  # median(100, 1, 2, 20) = 11
    assert "G 111 is above 10 x its running median 11 " in guard.check({"G": 111.0})  # (1, 2, 20, 109)
    assert guard.check({"G": 1.0, "D": float("inf")}) == "D became NaN/inf"
    restored = DivergenceGuard(10.0, ("G",), window=4, warmup=3)
    restored.load_state_dict(guard.state_dict())
    assert restored.history == guard.history == {"G": [1.0, 2.0, 20.0, 109.0]}  # the last window
    assert guard.check({"G": 50.0}, remember=False) is None and guard.history["G"][-1] == 109.0


def test_a_blown_up_loss_stops_the_run_keeps_the_good_state_and_resume_continues(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(harness.Diverged, match=r"diverged at step 8: loss .* above 10 x its running median"):
        _train(run, max_steps=10, state_every=3, snapshot_every=2, blowup_at=8)
    state = load_state(run / "last.pt")
    assert state["step"] == 6  # the last save before the blow-up
    assert not (run / "model.pt").exists()  # no release of the diverged weights
    assert sorted(p.name for p in (run / "checkpoints").iterdir())[-1] == "step_0000006_model.pt"
    records = read_jsonl(run / "train_log.jsonl")
    assert records[-1]["message"].startswith("diverged: loss")

    result = _train(run, resume=True, max_steps=10, blowup_at=None, lr=5e-3)  # the cause removed
    assert (result.step, result.stopped) == (10, "max_steps")
    assert load_state(run / "last.pt")["opt_net"]["param_groups"][0]["lr"] == 5e-3  # --lr applies
    steps = [r["step"] for r in read_jsonl(run / "train_log.jsonl") if r["kind"] == "train"]
    assert steps == list(range(1, 11))  # the diverged records were replaced by the continuation
    assert (run / "model.pt").is_file()
    _train(run, resume=True, max_steps=12, blowup_at=None)  # a later resume without --lr keeps its rate
    assert load_state(run / "last.pt")["opt_net"]["param_groups"][0]["lr"] == 5e-3


def test_a_nan_loss_stops_the_run_before_anything_is_saved(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(harness.Diverged, match="step 2: loss became NaN/inf"):
        _train(run, max_steps=5, log_every=3, state_every=2, nan_at=2)  # caught at the save, not a log step
    assert load_state(run / "last.pt")["step"] == 0


def test_options_are_validated_with_one_line_errors():
    with pytest.raises(I2IError, match="ema must be a decay in"):
        ToyConfig(ema=1.5)
    with pytest.raises(I2IError, match="diverge-factor must be > 1"):
        ToyConfig(diverge_factor=1.0)
    with pytest.raises(I2IError, match="keep-snapshots must be >= 1"):
        ToyConfig(keep_snapshots=0)
    with pytest.raises(I2IError, match=r"unknown --amp 'int8'; valid amp values: auto, none, bf16, fp16"):
        ToyConfig(amp="int8")
    cfg = ToyConfig(amp="bf16", device="cpu")
    assert ToyConfig.from_dict(cfg.to_dict()) == cfg and cfg.to_dict()["amp"] == "bf16"
    assert replace(cfg, max_steps=3).max_steps == 3
