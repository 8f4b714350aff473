"""FID features: the TF resize, per-folder caching by content, and the real network end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from i2i.errors import I2IError
from i2i.eval.inception_features import folder_features, tf_legacy_resize
from tests.eval.helpers import require_fid_weights


def _folder(path, n=3, size=(40, 30)):
    path.mkdir()
    for i in range(n):
        Image.new("RGB", size, (i * 60, 100, 200 - i * 50)).save(path / f"{i}.png")
    return path


class CountingExtractor:
    def __init__(self):
        self.calls = 0

    def __call__(self, images: torch.Tensor) -> np.ndarray:
        self.calls += 1
        assert images.shape[1:] == (3, 299, 299)
        return images.mean(dim=(2, 3)).double().numpy().repeat(10, axis=1)


def test_tf_legacy_resize_samples_without_half_pixel_offset():
    x = torch.arange(4.0).reshape(1, 1, 1, 4).expand(1, 1, 2, 4)
    out = tf_legacy_resize(x, 8)
    assert out[0, 0, 0].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0]
    assert tf_legacy_resize(torch.rand(2, 3, 299, 299)).shape == (2, 3, 299, 299)


def test_features_are_cached_by_content(tmp_path):
    folder = _folder(tmp_path / "imgs")
    extractor = CountingExtractor()
    first = folder_features(folder, extractor, "test", batch_size=2, cache=tmp_path / "cache")
    assert first.shape == (3, 30) and extractor.calls == 2
    again = folder_features(folder, extractor, "test", batch_size=2, cache=tmp_path / "cache")
    assert extractor.calls == 2 and np.array_equal(first, again)
    Image.new("RGB", (40, 30), (1, 2, 3)).save(folder / "1.png")  # same name, new bytes
    folder_features(folder, extractor, "test", batch_size=2, cache=tmp_path / "cache")
    assert extractor.calls == 4
    folder_features(folder, extractor, "other-net", batch_size=2, cache=tmp_path / "cache")
    assert extractor.calls == 6


def test_too_few_images_and_missing_folder_are_errors(tmp_path):
    with pytest.raises(I2IError, match="not a folder"):
        folder_features(tmp_path / "nope", CountingExtractor(), "t")
    with pytest.raises(I2IError, match="at least 2 images"):
        folder_features(_folder(tmp_path / "one", n=1), CountingExtractor(), "t")


def test_real_fid_of_a_folder_with_itself_is_zero(tmp_path, shared_data):
    from i2i.eval.distribution import compare_folders

    folder = tmp_path / "apples"
    folder.mkdir()
    for src in sorted((shared_data / "apple2orange" / "trainA").iterdir())[:6]:
        Image.open(src).resize((128, 128)).save(folder / f"{src.stem}.png")
    require_fid_weights()
    scores = compare_folders(folder, folder, kid_subsets=5, kid_subset_size=6)
    assert scores.fid < 1e-3
    assert scores.real_count == scores.fake_count == 6
