"""A held-back split that training never sees, chosen by file name alone (torch-free).

``holdout_files(files, 0.1)`` orders the files by the sha256 of their *name* and keeps the first
``ceil(0.1 * n)``: the same files on every machine and in every run, whatever the folder's path or listing
order, so training (``exclude``) and evaluation (``keep``) agree without passing a list around, and the list
can be written into a model's registry entry.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

from i2i.errors import I2IError


def _rank(path: Path) -> str:
    return hashlib.sha256(path.name.encode()).hexdigest()


def holdout_files(files: Sequence[Path], fraction: float) -> list[Path]:
    """The held-back ``fraction`` of ``files`` (at least one file when ``fraction`` > 0), sorted by name."""
    if not 0.0 <= fraction < 1.0:
        raise I2IError(f"held-back fraction must be in [0, 1), got {fraction}")
    if fraction == 0.0 or not files:
        return []
    count = math.ceil(fraction * len(files))
    return sorted(sorted(files, key=_rank)[:count], key=lambda p: p.name)


def split_holdout(files: Sequence[Path], fraction: float) -> tuple[list[Path], list[Path]]:
    """(files to train on, held-back files): a partition of ``files``, training order kept."""
    held = set(holdout_files(files, fraction))
    return [p for p in files if p not in held], sorted(held, key=lambda p: p.name)
