"""A run directory and what goes in it.

Layout (shared by every recipe)::

    runs/<task>-<data name>-<YYYYmmdd-HHMMSS>/
        config.json          the recipe's configuration as written (plus the resolved dataset path)
        train_log.jsonl      one JSON object per line: {"kind": "train"|"val"|"warning"|"event", ...}
        loss_curves.png      redrawn as training goes
        samples/step_000500.png   grids of a fixed validation batch
        checkpoints/epoch_005_generator.pt   release checkpoints (i2i.checkpoint format)
        generator.pt         the final release checkpoint (for two-generator recipes: one per direction)
        last.pt              resumable state: models, optimizers, schedulers, RNG, step, epoch

``last.pt`` is a plain ``torch.save`` of tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import torch

from i2i.errors import I2IError
from i2i.files import atomic_output, atomic_write_bytes

CONFIG_FILE = "config.json"
LOG_FILE = "train_log.jsonl"
STATE_FILE = "last.pt"
CURVES_FILE = "loss_curves.png"
SAMPLES_DIR = "samples"
CHECKPOINTS_DIR = "checkpoints"


def default_run_dir(task: str, data_name: str, root: str | os.PathLike[str] = "runs") -> Path:
    """``runs/<task>-<data name>-<timestamp>`` that does not exist yet (a suffix breaks ties)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in data_name) or "data"
    base = Path(root) / f"{task}-{safe}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def prepare_run_dir(path: Path, *, resume: bool) -> Path:
    """Create ``path`` for a new run (refusing a folder that already holds a run) or check it for resume."""
    if resume:
        if not (path / STATE_FILE).is_file():
            raise I2IError(f"{path}: no {STATE_FILE} to resume from")
        return path
    if (path / STATE_FILE).exists() or (path / CONFIG_FILE).exists():
        raise I2IError(f"{path}: already holds a run; pass --resume {path} to continue it, or another --out")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(data, indent=2, default=_json_default) + "\n").encode())


def read_config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / CONFIG_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise I2IError(f"{run_dir}: no {CONFIG_FILE}; is this a training run folder?") from None
    except json.JSONDecodeError as err:
        raise I2IError(f"{path}: not valid JSON ({err})") from None


def read_options(run_dir: Path) -> dict[str, Any]:
    """The run's options as its config.json holds them (under ``"config"``; older files at the top level)."""
    data = read_config(run_dir)
    return data.get("config", data)


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class JsonlLog:
    """Append-only ``train_log.jsonl``. Each record gets ``kind`` and a wall-clock ``time``.

    ``enabled=False`` (non-zero ranks) makes every call a no-op. Records are also kept in memory
    (``records``) for plotting; a resumed run reloads the earlier ones.
    """

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        self.records: list[dict[str, Any]] = []
        if enabled and path.is_file():
            self.records = read_jsonl(path)

    def write(self, kind: str, **fields: Any) -> dict[str, Any]:
        record = {"kind": kind, "time": round(time.time(), 3), **{k: _finite(v) for k, v in fields.items()}}
        if self.enabled:
            self.records.append(record)
            with self.path.open("a") as fh:
                fh.write(json.dumps(record, default=_json_default) + "\n")
        return record

    def truncate_after(self, step: int) -> None:
        """Drop records past ``step`` (written after the state a resumed run continues from)."""
        if not self.enabled:
            return
        kept = [r for r in self.records if int(r.get("step", 0)) <= step]
        if len(kept) != len(self.records):
            self.records = kept
            atomic_write_bytes(
                self.path, "".join(json.dumps(r, default=_json_default) + "\n" for r in kept).encode()
            )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line of ``path`` (a torn last line, from a crash, is skipped)."""
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def save_state(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` the resumable state atomically (a crash mid-write keeps the previous file)."""
    with atomic_output(path) as fh:
        torch.save(state, fh)


def load_state(path: Path) -> dict[str, Any]:
    """Read a state written by :func:`save_state` (``weights_only=True``: no code runs)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise I2IError(f"{path}: resumable state not found") from None
    except Exception as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise I2IError(f"{path}: cannot read resumable state ({first})") from None
