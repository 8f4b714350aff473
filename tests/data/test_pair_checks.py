"""Paired data is checked before a pix2pix run: ordinary photos are refused, odd files are named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from i2i.data.datasets import AlignedDataset, PairedFolderDataset


def _save(path: Path, size: tuple[int, int], mode: str = "RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).convert(mode).save(path)
    return path


def test_a_folder_of_photos_is_refused_in_one_line_before_a_run_folder_exists(tmp_path):
    for i in range(3):
        _save(tmp_path / "photos" / f"p{i}.jpg", (64, 48))
    args = ["train", "pix2pix", "--data", "photos", "--max-steps", "1", "--workers", "0", "--out", "run"]
    proc = subprocess.run(
        [sys.executable, "-m", "i2i.cli.main", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, env={**os.environ, "COLUMNS": "1000"},
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: photos: 3 of 3 images are not A|B pairs (p0.jpg is 64x48); pix2pix takes A|B pairs side by "
        "side, each file twice as wide as high with A on the left (in train/ and val/, or in one folder), or "
        "two folders A/ and B/ holding the two sides under the same names"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]  # no run folder left behind


def test_a_few_odd_files_among_pairs_are_skipped_and_named(tmp_path):
    for i in range(4):
        _save(tmp_path / "ab" / f"{i}.png", (40, 20))
    _save(tmp_path / "ab" / "19.png", (39, 19))  # odd width: still a pair (its last column is dropped)
    _save(tmp_path / "ab" / "photo.jpg", (32, 24))
    ds = AlignedDataset(tmp_path / "ab")
    assert sorted(p.name for p in ds.paths) == ["0.png", "1.png", "19.png", "2.png", "3.png"]
    assert ds.notes == [
        f"skipped {tmp_path / 'ab' / 'photo.jpg'}: 32x24, not an A|B pair (twice as wide as high)"
    ]


def test_paired_folders_list_unmatched_names_and_pairs_that_differ(tmp_path):
    _save(tmp_path / "A" / "same.png", (16, 16))
    _save(tmp_path / "B" / "same.jpg", (16, 16))
    _save(tmp_path / "A" / "bigger.png", (16, 16))
    _save(tmp_path / "B" / "bigger.png", (32, 32))
    _save(tmp_path / "A" / "grey.png", (16, 16))
    _save(tmp_path / "B" / "grey.png", (16, 16), mode="L")
    _save(tmp_path / "A" / "alone.png", (16, 16))
    ds = PairedFolderDataset(tmp_path / "A", tmp_path / "B")
    assert len(ds) == 3
    a, b = tmp_path / "A", tmp_path / "B"
    assert ds.notes == [
        f"{a / 'alone.png'}: no matching file in {b}",
        f"{a / 'bigger.png'} is 16x16 with 3 channel(s), {b / 'bigger.png'} is 32x32 with 3 channel(s)",
        f"{a / 'grey.png'} is 16x16 with 3 channel(s), {b / 'grey.png'} is 16x16 with 1 channel(s)",
    ]
