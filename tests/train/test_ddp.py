"""DDP: two CPU processes under torchrun (gloo on 127.0.0.1) stay in sync and only rank 0 writes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from i2i.train.rundir import read_jsonl

WORKER = Path(__file__).with_name("ddp_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_cpu_ranks_stay_in_sync_and_only_rank_0_writes(tiny_ab, tmp_path):
    run, results = tmp_path / "run", tmp_path / "results"
    results.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2"]
    cmd += ["--master_addr=127.0.0.1", f"--master_port={_free_port()}"]
    cmd += [str(WORKER), str(tiny_ab), str(run), str(results)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    r0, r1 = (json.loads((results / f"rank{k}.json").read_text()) for k in (0, 1))
    assert r0["world_size"] == r1["world_size"] == 2
    assert r0["step"] == r1["step"] == r0["saved_step"] == 3
    assert r0["g_digest"] == r1["g_digest"]  # gradients all-reduced: identical weights on both ranks
    assert r1["writes"] == []
    assert {"save_state", "write_json", "checkpoint.save", "write_image", "log"} <= set(r0["writes"])

    records = read_jsonl(run / "train_log.jsonl")
    steps = [r["step"] for r in records if r["kind"] == "train"]
    assert steps == [1, 2, 3]  # one record per step, not one per rank
    assert json.loads((run / "config.json").read_text())["world_size"] == 2
    # 4 training images over 2 ranks at batch 1: 2 steps per epoch
    start = next(r for r in records if r.get("message") == "start")
    assert start["steps_per_epoch"] == 2
