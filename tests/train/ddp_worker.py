"""One rank of the DDP test (run by torchrun from test_ddp.py; not a test module itself).

Usage: ddp_worker.py DATA RUN_DIR RESULT_DIR. Trains a tiny Pix2Pix for a few steps and writes
RESULT_DIR/rank<k>.json with a digest of the generator's parameters, the step reached,
and how many times this rank called any of the run-directory writers.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import torch


def main() -> None:
    data, run_dir, result_dir = (Path(a) for a in sys.argv[1:4])
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from i2i import checkpoint, imageio
    from i2i.train import pix2pix, rundir
    from tests.train.conftest import tiny_config

    writes: list[str] = []

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            writes.append(name)
            return fn(*args, **kwargs)

        return wrapper

    rundir.save_state = counting("save_state", rundir.save_state)
    rundir.write_json = counting("write_json", rundir.write_json)
    checkpoint.save = counting("checkpoint.save", checkpoint.save)
    imageio.write_image_atomic = counting("write_image", imageio.write_image_atomic)
    original_write = rundir.JsonlLog.write

    def log_write(self, kind, **fields):
        if self.enabled:
            writes.append("log")
        return original_write(self, kind, **fields)

    rundir.JsonlLog.write = log_write

    cfg = tiny_config(data, max_steps=3, sample_every=2)
    result = pix2pix.train(cfg, run_dir=run_dir)
    digest = hashlib.sha256()
    for p in result.generator.parameters():
        digest.update(p.detach().cpu().numpy().tobytes())
    state = torch.load(run_dir / "last.pt", weights_only=True) if result.step else None
    rank = int(os.environ["RANK"])
    out = {
        "rank": rank,
        "world_size": int(os.environ["WORLD_SIZE"]),
        "step": result.step,
        "g_digest": digest.hexdigest(),
        "writes": writes,
        "saved_step": None if state is None else state["step"],
    }
    (result_dir / f"rank{rank}.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main()
