"""Aligned, paired-folder and unaligned datasets on tiny synthetic images."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from i2i.data import AlignedDataset, PairedFolderDataset, UnalignedDataset
from i2i.data.transforms import TransformSpec
from i2i.errors import I2IError, ImageReadError

SPEC = TransformSpec(load_size=20, crop_size=16)


def _noise(w: int, h: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _save(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def _ab_folder(root: Path, n: int = 4, *, identical_halves: bool = False) -> Path:
    """AB PNGs (lossless): left half = noise, right half = its negative, or an exact copy."""
    for i in range(n):
        left = _noise(10, 10, seed=i)
        right = left if identical_halves else 255 - left
        _save(root / f"{i}.png", np.concatenate([left, right], axis=1))
    return root


def _same(x: torch.Tensor, y: torch.Tensor) -> bool:
    return bool(torch.equal(x, y))


# ---------------------------------------------------------------------------------------------- aligned


def test_aligned_shapes_range_and_paths(tmp_path):
    ds = AlignedDataset(_ab_folder(tmp_path / "train"), spec=SPEC, seed=3)
    sample = ds[0]
    assert len(ds) == 4
    assert set(sample) == {"A", "B", "A_path", "B_path"}
    for key in ("A", "B"):
        assert sample[key].shape == (3, 16, 16)
        assert sample[key].dtype == torch.float32
        assert sample[key].min() >= -1.0 and sample[key].max() <= 1.0
    assert sample["A_path"] == sample["B_path"] == str(tmp_path / "train" / "0.png")


def test_aligned_a_is_left_half_and_btoa_swaps(tmp_path):
    root = _ab_folder(tmp_path / "ab", n=1)
    spec = TransformSpec(preprocess="none", flip=False)
    ab = AlignedDataset(root, spec=spec)[0]
    ba = AlignedDataset(root, spec=spec, direction="BtoA")[0]
    left = torch.from_numpy(_noise(10, 10, seed=0)).permute(2, 0, 1).float() / 255 * 2 - 1
    assert torch.allclose(ab["A"], left) and torch.allclose(ab["B"], -left, atol=1e-6)
    assert _same(ba["A"], ab["B"]) and _same(ba["B"], ab["A"])


def test_aligned_both_halves_get_identical_crop_and_flip(tmp_path):
    ds = AlignedDataset(_ab_folder(tmp_path / "ab", n=3, identical_halves=True), spec=SPEC, seed=0)
    variants = set()
    for epoch in range(6):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            s = ds[i]
            assert _same(s["A"], s["B"])
            variants.add(s["A"].numpy().tobytes())
    assert len(variants) > 6  # jitter did happen, and halves still matched


def test_aligned_determinism_by_seed_epoch_index(tmp_path):
    root = _ab_folder(tmp_path / "ab")
    first = AlignedDataset(root, spec=SPEC, seed=7)
    again = AlignedDataset(root, spec=SPEC, seed=7)
    for i in range(len(first)):
        assert _same(first[i]["A"], again[i]["A"])  # fresh instance (a resume) sees the same samples
    again.set_epoch(5)
    first.set_epoch(5)
    assert all(_same(first[i]["B"], again[i]["B"]) for i in range(len(first)))
    epoch5 = [first[i]["A"] for i in range(len(first))]
    first.set_epoch(6)
    assert not all(_same(epoch5[i], first[i]["A"]) for i in range(len(first)))
    other_seed = AlignedDataset(root, spec=SPEC, seed=8)
    other_seed.set_epoch(5)
    assert not all(_same(epoch5[i], other_seed[i]["A"]) for i in range(len(first)))


def test_aligned_same_samples_with_dataloader_workers(tmp_path):
    ds = AlignedDataset(_ab_folder(tmp_path / "ab"), spec=SPEC, seed=11)
    ds.set_epoch(2)
    serial = [b["A"] for b in DataLoader(ds, batch_size=2, num_workers=0)]
    parallel = [b["A"] for b in DataLoader(ds, batch_size=2, num_workers=2)]
    assert all(_same(x, y) for x, y in zip(serial, parallel, strict=True))


def test_eval_mode_has_no_jitter(tmp_path):
    ds = AlignedDataset(_ab_folder(tmp_path / "ab", n=2), spec=SPEC, train=False, seed=0)
    s0 = ds[0]["A"]
    ds.set_epoch(9)
    assert _same(s0, ds[0]["A"])
    assert s0.shape == (3, 16, 16)


def test_eval_none_pads_to_multiple(tmp_path):
    root = tmp_path / "ab"
    _save(root / "odd.png", _noise(19, 9, seed=0))  # odd width: halves are 9 wide, last column dropped
    ds = AlignedDataset(root, spec=TransformSpec(preprocess="none", pad_multiple=4), train=False)
    sample = ds[0]
    assert sample["A"].shape == sample["B"].shape == (3, 12, 12)


def test_non_image_files_are_reported_not_loaded(tmp_path):
    root = _ab_folder(tmp_path / "ab", n=2)
    (root / "notes.txt").write_text("hello")
    (root / "Thumbs.db").write_bytes(b"\0")
    ds = AlignedDataset(root, spec=SPEC)
    assert len(ds) == 2
    assert sorted((p.name, reason) for p, reason in ds.skipped) == [
        ("Thumbs.db", "not an image file extension (.db)"),
        ("notes.txt", "not an image file extension (.txt)"),
    ]


def test_corrupt_image_raises_image_read_error_naming_it(tmp_path):
    root = _ab_folder(tmp_path / "ab", n=1)
    (root / "9_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    ds = AlignedDataset(root, spec=SPEC)
    assert len(ds) == 2  # listed at construction (files are not decoded there)
    with pytest.raises(ImageReadError, match=rf"^{re.escape(str(root / '9_broken.png'))}: "):
        ds[1]


def test_empty_or_missing_folder_is_an_error_naming_it(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("x")
    with pytest.raises(
        I2IError, match=rf"{re.escape(str(tmp_path / 'empty'))}: no AB images found \(1 non-image files"
    ):
        AlignedDataset(tmp_path / "empty")
    with pytest.raises(I2IError, match=rf"{re.escape(str(tmp_path / 'nowhere'))}: no such folder"):
        AlignedDataset(tmp_path / "nowhere")
    with pytest.raises(I2IError, match="direction must be"):
        AlignedDataset(tmp_path / "empty", direction="AtoC")  # type: ignore[arg-type]


def test_phase_subfolder_and_index_errors(tmp_path):
    _ab_folder(tmp_path / "set" / "val", n=2)
    ds = AlignedDataset(tmp_path / "set", phase="val", spec=SPEC)
    assert len(ds) == 2 and _same(ds[-1]["A"], ds[1]["A"])
    with pytest.raises(IndexError):
        ds[2]


# ------------------------------------------------------------------------------------------ paired folders


def test_paired_folders_match_by_name_and_report_mismatches(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    for name in ("1", "2", "only_a"):
        _save(a / f"{name}.png", _noise(10, 10, seed=1))
    for name in ("1", "2", "only_b"):
        _save(b / f"{name}.jpg", _noise(10, 10, seed=1))
    _save(a / "2.jpg", _noise(10, 10, seed=2))  # duplicate stem in A

    ds = PairedFolderDataset(a, b, spec=TransformSpec(preprocess="none"))

    assert [(pa.name, pb.name) for pa, pb in ds.pairs] == [("1.png", "1.jpg"), ("2.jpg", "2.jpg")]
    assert [p.name for p in ds.missing_in_b] == ["only_a.png"]
    assert [p.name for p in ds.missing_in_a] == ["only_b.jpg"]
    reasons = {p.name: r for p, r in ds.skipped}
    assert reasons["only_a.png"] == f"no matching file in {b}"
    assert reasons["only_b.jpg"] == f"no matching file in {a}"
    assert reasons["2.png"].startswith("duplicate name")
    sample = ds[0]
    assert sample["A_path"] == str(a / "1.png") and sample["B_path"] == str(b / "1.jpg")


def test_paired_folders_same_crop_and_btoa(tmp_path):
    for i in range(3):
        img = _noise(18, 18, seed=i)
        _save(tmp_path / "A" / f"{i}.png", img)
        _save(tmp_path / "B" / f"{i}.png", img)
    ds = PairedFolderDataset(tmp_path / "A", tmp_path / "B", spec=SPEC, direction="BtoA", seed=1)
    for i in range(3):
        s = ds[i]
        assert _same(s["A"], s["B"])
        assert s["A_path"].endswith(f"B/{i}.png")


def test_paired_folders_without_common_names(tmp_path):
    _save(tmp_path / "A" / "x.png", _noise(4, 4, 0))
    _save(tmp_path / "B" / "y.png", _noise(4, 4, 0))
    with pytest.raises(I2IError, match="no file names in common"):
        PairedFolderDataset(tmp_path / "A", tmp_path / "B")


# --------------------------------------------------------------------------------------------- unaligned


def _unaligned_root(root: Path, n_a: int = 3, n_b: int = 5, phase: str = "train") -> Path:
    for i in range(n_a):
        _save(root / f"{phase}A" / f"a{i}.png", _noise(20, 20, seed=i))
    for i in range(n_b):
        _save(root / f"{phase}B" / f"b{i}.png", _noise(20, 20, seed=100 + i))
    return root


def test_unaligned_length_modulo_and_deterministic_random_b(tmp_path):
    root = _unaligned_root(tmp_path / "u")
    ds = UnalignedDataset(root, spec=SPEC, seed=4)
    assert len(ds) == 5
    assert [Path(ds[i]["A_path"]).name for i in range(5)] == [
        "a0.png",
        "a1.png",
        "a2.png",
        "a0.png",
        "a1.png",
    ]

    pairing = [ds[i]["B_path"] for i in range(5)]
    assert pairing == [UnalignedDataset(root, spec=SPEC, seed=4)[i]["B_path"] for i in range(5)]
    assert [Path(p).name for p in pairing] == [f"b{ds.b_index(i)}.png" for i in range(5)]
    epochs = set()
    for epoch in range(8):
        ds.set_epoch(epoch)
        epochs.add(tuple(ds[i]["B_path"] for i in range(5)))
    assert len(epochs) > 1  # B is re-drawn every epoch


def test_unaligned_serial_batches_phase_and_direction(tmp_path):
    root = _unaligned_root(tmp_path / "u", n_a=2, n_b=3, phase="test")
    ds = UnalignedDataset(root, phase="test", spec=SPEC, serial_batches=True, train=False)
    assert [Path(ds[i]["B_path"]).name for i in range(3)] == ["b0.png", "b1.png", "b2.png"]
    assert ds[0]["A"].shape == ds[0]["B"].shape == (3, 16, 16)
    swapped = UnalignedDataset(root, phase="test", direction="BtoA", spec=SPEC, serial_batches=True)
    assert Path(swapped[0]["A_path"]).parent.name == "testB"
    with pytest.raises(I2IError, match="trainA: no such folder"):
        UnalignedDataset(root, phase="train")
