"""One rank of the CUT DDP test (run by torchrun from test_cut.py; not a test module itself).

Usage: cut_ddp_worker.py DATA RUN_DIR RESULT_DIR. Writes RESULT_DIR/rank<k>.json with a digest of G, D and
the PatchNCE head after training, the step reached, the wrapper types of the step's networks and whether
this rank wrote any file.
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
    from i2i.train import cut, rundir
    from tests.train.test_cut import tiny_cut_config

    writes: list[str] = []
    for module, name in ((rundir, "save_state"), (rundir, "write_json"), (checkpoint, "save")):
        original = getattr(module, name)

        def wrapper(*args, _original=original, _name=name, **kwargs):
            writes.append(_name)
            return _original(*args, **kwargs)

        setattr(module, name, wrapper)

    captured = {}
    original_step = cut.CUT.train_step

    def spy_step(recipe, *args, **kwargs):
        captured["recipe"] = recipe
        return original_step(recipe, *args, **kwargs)

    cut.CUT.train_step = spy_step
    result = cut.train(tiny_cut_config(data, max_steps=3), run_dir=run_dir)
    recipe = captured["recipe"]
    digest = hashlib.sha256()
    for name in ("G", "D", "F"):
        for p in recipe.modules[name].parameters():
            digest.update(p.detach().cpu().numpy().tobytes())
    rank = int(os.environ["RANK"])
    out = {
        "rank": rank,
        "step": result.step,
        "digest": digest.hexdigest(),
        "wrapped": sorted(type(n).__name__ for n in recipe.nets.values()),
        "writes": writes,
    }
    (result_dir / f"rank{rank}.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main()
