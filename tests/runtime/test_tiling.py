"""Tiling: coverage, feathering, constant images, tiled vs whole; padding to the multiple and back."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from i2i.errors import I2IError
from i2i.export.verify import smooth_image
from i2i.runtime import TranslatorSession, translate_tiled, translate_whole
from i2i.runtime.tiling import feather, tile_starts


def _pointwise(batch: np.ndarray) -> np.ndarray:
    assert batch.shape[2] % 4 == 0 and batch.shape[3] % 4 == 0
    return 1.0 - 0.5 * batch


def test_tile_starts_cover_exactly():
    assert tile_starts(50, 64, 16) == [0]
    assert tile_starts(200, 64, 16) == [0, 48, 96, 136]
    for length in range(64, 300, 7):
        starts = tile_starts(length, 64, 24)
        assert starts[0] == 0 and starts[-1] == length - 64
        assert all(b - a <= 64 - 24 for a, b in itertools.pairwise(starts))
    with pytest.raises(I2IError, match="overlap"):
        tile_starts(200, 32, 32)


def test_feather_ramps_only_where_neighbours_are():
    w = feather(8, 4, lead=True, trail=False)
    np.testing.assert_allclose(w, [0.125, 0.375, 0.625, 0.875, 1, 1, 1, 1])
    np.testing.assert_array_equal(feather(8, 4, lead=False, trail=False), np.ones(8))
    assert feather(8, 4, lead=True, trail=True)[-1] == pytest.approx(0.125)


@pytest.mark.parametrize(("shape", "tile", "overlap"), [((3, 97, 131), 32, 8), ((3, 64, 200), 48, 20)])
def test_constant_stays_constant_and_pointwise_is_exact(shape, tile, overlap):
    const = np.full(shape, 0.3, dtype=np.float32)
    out = translate_tiled(_pointwise, const, 4, tile, overlap, batch=3)
    assert out.shape == shape
    np.testing.assert_allclose(out, 0.85, atol=1e-6)
    img = np.random.default_rng(0).random(shape, dtype=np.float32)
    np.testing.assert_allclose(translate_tiled(_pointwise, img, 4, tile, overlap), 1 - 0.5 * img, atol=1e-6)


def test_tiled_matches_whole_on_a_smooth_image(local_model):
    session = TranslatorSession(local_model.path, device="cpu")
    img = smooth_image(3, 150, 190, np.random.default_rng(1))
    whole = translate_whole(session, img, 4)
    assert whole.std() > 0.05  # the model does something
    tiled = translate_tiled(session, img, 4, tile=64, overlap=24, batch=4)
    assert tiled.shape == whole.shape == (3, 150, 190)
    assert np.abs(tiled - whole).max() < 2 / 255


def test_non_multiple_sizes_round_trip(tiny_model):
    import torch

    session = TranslatorSession(tiny_model.path, device="cpu")
    img = np.random.default_rng(2).random((3, 37, 53), dtype=np.float32)
    out = translate_whole(session, img, 4)
    assert out.shape == (3, 37, 53)
    padded = np.pad(img, ((0, 0), (0, 3), (0, 3)), mode="reflect")
    with torch.no_grad():
        ref = (tiny_model.module(torch.from_numpy(padded)[None] * 2 - 1)[0] + 1) / 2
    np.testing.assert_allclose(out, ref.numpy()[:, :37, :53], atol=1e-4)
