"""Numbered release snapshots: ``checkpoints/step_<N>_<name>.pt`` every ``--snapshot-every`` steps.

The last ``keep`` snapshots are kept, plus the best one by the recipe's probe metric (lower is better:
eval_L1 for pix2pix, KID for CycleGAN) when it was measured; older files are deleted. The bookkeeping is
part of the resumable state, and a resumed run deletes snapshots newer than the state it continues from
(they belong to the abandoned continuation).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_NAME = re.compile(r"step_(\d+)_.+\.pt$")


def snapshot_path(folder: Path, step: int, name: str) -> Path:
    return folder / f"step_{step:07d}_{name}.pt"


class Snapshots:
    """The snapshots of one run: ``entries`` = [{"step", "paths", "score"}] oldest first."""

    def __init__(self, folder: Path, keep: int) -> None:
        self.folder = folder
        self.keep = keep
        self.entries: list[dict[str, Any]] = []

    @property
    def best(self) -> dict[str, Any] | None:
        scored = [e for e in self.entries if e["score"] is not None]
        return min(scored, key=lambda e: (e["score"], -e["step"])) if scored else None

    def add(self, step: int, paths: list[Path], score: float | None) -> None:
        """Record the snapshot just written at ``step`` and delete the ones no longer kept."""
        self.entries.append({"step": step, "paths": [str(p) for p in paths], "score": score})
        kept = self.entries[-self.keep :]
        best = self.best
        if best is not None and best not in kept:
            kept = [best, *kept]
        for entry in self.entries:
            if entry not in kept:
                for path in entry["paths"]:
                    Path(path).unlink(missing_ok=True)
        self.entries = kept

    def state_dict(self) -> dict[str, Any]:
        return {"entries": [dict(e) for e in self.entries]}

    def load_state_dict(self, state: dict[str, Any], step: int) -> None:
        """Restore the bookkeeping and remove snapshot files written after ``step``."""
        self.entries = [dict(e) for e in state.get("entries", [])]
        if self.folder.is_dir():
            for path in self.folder.glob("step_*.pt"):
                match = _NAME.match(path.name)
                if match and int(match.group(1)) > step:
                    path.unlink()
