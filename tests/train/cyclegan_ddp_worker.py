"""One rank of the CycleGAN DDP test (run by torchrun from test_cyclegan.py; not a test module itself).

Usage: cyclegan_ddp_worker.py DATA RUN_DIR RESULT_DIR. Writes RESULT_DIR/rank<k>.json with a digest of
both generators' parameters, the step reached and whether this rank wrote any file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path


def main() -> None:
    data, run_dir, result_dir = (Path(a) for a in sys.argv[1:4])
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from i2i import checkpoint
    from i2i.train import cyclegan, rundir
    from tests.train.test_cyclegan import tiny_cyclegan_config

    writes: list[str] = []
    for module, name in ((rundir, "save_state"), (rundir, "write_json"), (checkpoint, "save")):
        original = getattr(module, name)

        def wrapper(*args, _original=original, _name=name, **kwargs):
            writes.append(_name)
            return _original(*args, **kwargs)

        setattr(module, name, wrapper)

    captured = {}
    original_step = cyclegan.CycleGAN.train_step

    def spy_step(recipe, *args, **kwargs):
        captured["recipe"] = recipe
        return original_step(recipe, *args, **kwargs)

    cyclegan.CycleGAN.train_step = spy_step
    result = cyclegan.train(tiny_cyclegan_config(data, max_steps=3), run_dir=run_dir)
    digest = hashlib.sha256()
    for net in (captured["recipe"].modules["G_A"], captured["recipe"].modules["G_B"]):
        for p in net.parameters():
            digest.update(p.detach().cpu().numpy().tobytes())
    rank = int(os.environ["RANK"])
    out = {
        "rank": rank,
        "world_size": int(os.environ["WORLD_SIZE"]),
        "step": result.step,
        "digest": digest.hexdigest(),
    }
    out["writes"] = writes
    (result_dir / f"rank{rank}.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main()
