"""The held-back split is a stable partition chosen by file name alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from i2i.data.holdout import holdout_files, split_holdout
from i2i.errors import I2IError


def test_holdout_is_ten_percent_by_name_hash_whatever_the_folder_or_order():
    files = [Path(f"trainA/img_{i:03d}.jpg") for i in range(95)]
    held = holdout_files(files, 0.1)
    assert len(held) == 10  # ceil(9.5)
    ranked = sorted(files, key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())
    assert held == sorted(ranked[:10], key=lambda p: p.name)
    moved = [Path("/elsewhere") / p.name for p in reversed(files)]
    assert [p.name for p in holdout_files(moved, 0.1)] == [p.name for p in held]
    train, back = split_holdout(files, 0.1)
    assert back == held and len(train) == 85 and not set(train) & set(back)
    assert train == [p for p in files if p not in held]  # training order kept


def test_holdout_edges():
    assert holdout_files([], 0.1) == [] and holdout_files([Path("a.png")], 0.0) == []
    assert holdout_files([Path("a.png"), Path("b.png")], 0.1) == [
        min([Path("a.png"), Path("b.png")], key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())
    ]
    with pytest.raises(I2IError, match=r"\[0, 1\)"):
        holdout_files([Path("a.png")], 1.0)
