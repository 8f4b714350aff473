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


def _images(folder: Path, names: list[str], size: int = 8, width: int | None = None) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.new("RGB", (width or size, size), (10, 20, 30)).save(folder / name)
    return [folder / n for n in names]


def test_unaligned_training_set_never_yields_a_held_back_file(tmp_path):
    from i2i.data.datasets import UnalignedDataset

    a = _images(tmp_path / "trainA", [f"a{i}.png" for i in range(10)])
    b = _images(tmp_path / "trainB", [f"b{i}.png" for i in range(13)])
    held = {p.name for p in holdout_files(a, 0.2) + holdout_files(b, 0.2)}
    data = UnalignedDataset(tmp_path, phase="train", holdout=0.2, seed=1)
    assert data.held_out == {
        "trainA": [p.name for p in holdout_files(a, 0.2)],
        "trainB": [p.name for p in holdout_files(b, 0.2)],
    }
    assert len(data.paths_a) == 8 and len(data.paths_b) == 10 and len(data) == 10
    seen = set()
    for epoch in range(5):
        data.set_epoch(epoch)
        for i in range(len(data)):
            item = data[i]
            seen |= {Path(item["A_path"]).name, Path(item["B_path"]).name}
    assert not seen & held and {p.name for p in a} - held <= seen
    assert UnalignedDataset(tmp_path, phase="train").held_out == {"trainA": [], "trainB": []}
    back = UnalignedDataset(tmp_path, phase="train", holdout=0.2, held_back=True, train=False)
    assert back.paths_a == holdout_files(a, 0.2) and back.paths_b == holdout_files(b, 0.2)
    assert back.held_out == data.held_out
    with pytest.raises(I2IError, match="leaves none"):
        _images(tmp_path / "one" / "trainA", ["x.png"])
        _images(tmp_path / "one" / "trainB", ["y.png", "z.png"])
        UnalignedDataset(tmp_path / "one", holdout=0.1)


def test_aligned_and_paired_training_sets_skip_the_held_back_share_of_the_train_split(tmp_path):
    from i2i.data.datasets import AlignedDataset, PairedFolderDataset

    ab = _images(tmp_path / "ab" / "train", [f"{i}.png" for i in range(20)], size=16, width=32)
    aligned = AlignedDataset(tmp_path / "ab", phase="train", holdout=0.1)
    held = [p.name for p in holdout_files(ab, 0.1)]
    assert aligned.held_out == {"train": held} and len(held) == 2
    assert sorted(p.name for p in aligned.paths) == sorted(p.name for p in ab if p.name not in held)
    a = _images(tmp_path / "A", [f"{i}.png" for i in range(10)])
    _images(tmp_path / "B", [f"{i}.jpg" for i in range(10)])
    paired = PairedFolderDataset(tmp_path / "A", tmp_path / "B", holdout=0.3)
    held = [p.name for p in holdout_files(a, 0.3)]
    assert paired.held_out == {"A": held} and len(paired) == 7
    assert not {pa.name for pa, _ in paired.pairs} & set(held)
    assert all(pa.stem == pb.stem for pa, pb in paired.pairs)
