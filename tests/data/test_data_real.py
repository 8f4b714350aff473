"""Datasets on the real shared data (``../shared/data`` beside the repository, or ``$I2I_SHARED/data``).

The ``shared_data`` fixture (tests/conftest.py) skips with a reason when the folder is absent: a user's
machine does not have it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from i2i.data import AlignedDataset, UnalignedDataset
from i2i.data.transforms import TransformSpec


def _need(shared_data: Path, sub: str) -> Path:
    path = shared_data / sub
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


def test_facades_train_gives_256_pairs_photo_a_labels_b(shared_data):
    ds = AlignedDataset(_need(shared_data, "facades/train"), seed=0)
    assert len(ds) == 400
    assert ds.skipped == []
    sample = ds[0]
    assert sample["A"].shape == sample["B"].shape == (3, 256, 256)
    assert float(sample["A"].min()) >= -1.0 and float(sample["A"].max()) <= 1.0

    # labels (B) are flat colour regions: far fewer distinct colours than the photo (A)
    def colours(t: torch.Tensor) -> int:
        return len(torch.unique((t * 127.5).round().reshape(3, -1), dim=1).T)

    eval_ds = AlignedDataset(_need(shared_data, "facades/train"), train=False)
    s = eval_ds[0]
    assert s["A"].shape == (3, 256, 256)
    assert colours(s["B"]) < colours(s["A"])


def test_facades_val_without_resize_keeps_native_256(shared_data):
    ds = AlignedDataset(_need(shared_data, "facades/val"), spec=TransformSpec(preprocess="none"), train=False)
    assert len(ds) == 100
    assert ds[3]["A"].shape == (3, 256, 256)


def test_apple2orange_unaligned(shared_data):
    ds = UnalignedDataset(_need(shared_data, "apple2orange"), phase="train", seed=0)
    assert (len(ds.paths_a), len(ds.paths_b), len(ds)) == (995, 1019, 1019)
    sample = ds[1000]
    assert sample["A"].shape == sample["B"].shape == (3, 256, 256)
    assert Path(sample["A_path"]).name == ds.paths_a[1000 % 995].name
    assert "trainB" in sample["B_path"]
