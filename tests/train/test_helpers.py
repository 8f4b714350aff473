"""Shared training helpers: lr schedules, the resumable sampler, monitors, RNG snapshots, pictures."""

from __future__ import annotations

import random

import pytest
import torch
from PIL import Image

from i2i.errors import I2IError
from i2i.train.monitor import DominanceMonitor, collapse_warning
from i2i.train.rng import rng_state, seed_everything, set_rng_state
from i2i.train.rundir import JsonlLog, load_state, read_jsonl, save_state
from i2i.train.sampler import EpochBatchSampler
from i2i.train.schedules import ScheduleSpec, build_scheduler, current_lr, step_scheduler
from i2i.train.visuals import make_grid, plot_curves


def _lrs(spec: ScheduleSpec, epochs: int, metrics: list[float] | None = None) -> list[float]:
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = build_scheduler(opt, spec)
    out = []
    for e in range(epochs):
        out.append(current_lr(opt))
        opt.step()
        step_scheduler(sched, None if metrics is None else metrics[e])
    return out


def test_linear_policy_matches_the_reference_formula():
    lrs = _lrs(ScheduleSpec("linear", epochs=3, epochs_decay=4), 7)
    assert lrs == pytest.approx([1, 1, 1, 4 / 5, 3 / 5, 2 / 5, 1 / 5])
    paper = _lrs(ScheduleSpec("linear", 100, 100), 200)
    assert paper[99] == 1.0 and paper[100] == pytest.approx(100 / 101)
    assert paper[199] == pytest.approx(1 / 101)


def test_step_cosine_and_plateau_policies():
    assert _lrs(ScheduleSpec("step", 2, 2, step_epochs=2), 4) == pytest.approx([1, 1, 0.1, 0.1])
    cos = _lrs(ScheduleSpec("cosine", 2, 2), 4)
    assert cos == pytest.approx([1, 0.8535534, 0.5, 0.1464466])
    flat = _lrs(ScheduleSpec("plateau", 10, 0), 8, metrics=[1.0] * 8)
    assert flat[:7] == [1.0] * 7 and flat[7] == pytest.approx(0.2)  # patience 5, factor 0.2
    with pytest.raises(I2IError, match="lr policy"):
        ScheduleSpec("exp")


def test_sampler_is_a_deterministic_permutation_that_resumes_mid_epoch_and_splits_ranks():
    s = EpochBatchSampler(10, 3, seed=1)
    epoch0, epoch1 = list(s), (s.set_epoch(1), list(s))[1]
    assert len(s) == 4 and [len(b) for b in epoch0] == [3, 3, 3, 1]
    assert sorted(i for b in epoch0 for i in b) == list(range(10)) and epoch0 != epoch1
    s.set_epoch(0, start_batch=2)
    assert list(s) == epoch0[2:]
    ranks = [EpochBatchSampler(10, 2, seed=1, rank=r, world_size=3) for r in range(3)]
    seen = [i for r in ranks for b in r for i in b]
    assert all(len(r) == 2 for r in ranks) and len(seen) == len(set(seen)) == 9


def test_rng_snapshot_roundtrips_through_weights_only_state(tmp_path):
    seed_everything(5)
    snap = rng_state()
    save_state(tmp_path / "s.pt", {"rng": [snap]})
    expected = (random.random(), torch.rand(3), __import__("numpy").random.rand())
    set_rng_state(load_state(tmp_path / "s.pt")["rng"][0])
    got = (random.random(), torch.rand(3), __import__("numpy").random.rand())
    assert expected[0] == got[0] and torch.equal(expected[1], got[1]) and expected[2] == got[2]


def test_dominance_monitor_needs_a_sustained_window():
    mon = DominanceMonitor(window=3)
    assert mon.update(0.01, 1.0, 1.0) is None and mon.update(0.01, 1.0, 1.0) is None
    assert "dominates" in mon.update(0.01, 1.0, 1.0)
    assert mon.update(0.01, 1.0, 1.0) is None  # quiet for a window after warning
    fresh = DominanceMonitor(window=2)
    assert fresh.update(0.01, 1.0, 1.0) is None and fresh.update(0.5, 1.0, 1.0) is None


def test_collapse_warning():
    targets = torch.rand(4, 3, 8, 8) * 2 - 1
    assert collapse_warning(targets.clone(), targets) is None
    assert "barely depend" in collapse_warning(torch.zeros(4, 3, 8, 8) + 0.001 * targets, targets)


def test_grid_and_curves(tmp_path):
    tiles = [[torch.full((3, 8, 8), v), torch.zeros(3, 8, 8)] for v in (-1.0, 1.0)]
    grid = make_grid(tiles, labels=["in", "out"], pad=2)
    assert grid.size == (2 * 8 + 3 * 2, 14 + 2 * 8 + 3 * 2)
    assert grid.getpixel((2, 14 + 2)) == (0, 0, 0) and grid.getpixel((2, 14 + 12)) == (255, 255, 255)
    log = JsonlLog(tmp_path / "log.jsonl")
    for step in (1, 2, 3):
        log.write("train", step=step, loss=1.0 / step, bad=float("nan"))
    assert read_jsonl(tmp_path / "log.jsonl")[0]["bad"] is None
    path = plot_curves(tmp_path / "c.png", log.records, ["loss", "missing"])
    with Image.open(path) as im:
        assert im.format == "PNG"
    assert plot_curves(tmp_path / "none.png", log.records, ["missing"]) is None
    log.truncate_after(2)
    assert [r["step"] for r in read_jsonl(tmp_path / "log.jsonl")] == [1, 2]
