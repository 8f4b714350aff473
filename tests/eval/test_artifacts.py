"""Artefact metrics: the checkerboard share finds period-2/4 patterns and only those; near-black counts
black holes only where the input was bright; the evaluators report both."""

from __future__ import annotations

import numpy as np
import pytest

from i2i.eval.artifacts import checkerboard_share, luminance, near_black_share, score_pairs


def _smooth(h: int = 64, w: int = 80) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return 0.5 + 0.3 * np.sin(xx / 9.0) * np.cos(yy / 13.0)


def _rgb(luma: np.ndarray) -> np.ndarray:
    return np.repeat((np.clip(luma, 0, 1) * 255).round().astype(np.uint8)[..., None], 3, axis=-1)


def test_checkerboard_share_sees_periods_two_and_four_only():
    smooth = _smooth()
    yy, xx = np.mgrid[0 : smooth.shape[0], 0 : smooth.shape[1]]
    assert checkerboard_share(smooth) < 1e-6
    for pattern in ((xx + yy) % 2, (xx // 2) % 2, (yy // 2 + xx // 2) % 2):  # periods 2, 4 (x), 4 (xy)
        assert checkerboard_share(smooth + 0.05 * pattern) > 1e-2
    period_8 = (xx // 4) % 2  # not on the lattice: an 8-pixel stripe is image content, not an artefact
    assert checkerboard_share(0.5 + 0.05 * period_8) < 0.2
    assert checkerboard_share(np.full((16, 16), 0.3)) == 0.0
    with pytest.raises(ValueError, match="too small"):
        checkerboard_share(np.zeros((4, 40)))


def test_pure_checkerboard_puts_all_energy_on_the_lattice():
    yy, xx = np.mgrid[0:64, 0:64]
    assert checkerboard_share(((xx + yy) % 2).astype(float)) == pytest.approx(1.0, abs=1e-3)  # Hann leakage


def test_score_is_relative_to_the_input():
    source = _rgb(_smooth())
    same = score_pairs([(source, source)])
    assert same.checkerboard == pytest.approx(1.0) and same.images == 1
    yy, xx = np.mgrid[0:64, 0:80]
    patterned = _rgb(_smooth() + 0.04 * ((xx + yy) % 2))
    assert score_pairs([(source, patterned)]).checkerboard > 10.0
    with pytest.raises(ValueError, match="differs"):
        score_pairs([(source, source[:32])])


def test_near_black_counts_dark_outputs_where_the_input_was_bright():
    source = np.zeros((4, 5, 3), np.uint8)
    source[:2] = 200  # 10 bright pixels, 10 dark ones
    output = np.full((4, 5, 3), 128, np.uint8)
    output[0, :3] = (24, 10, 0)  # 3 near-black over bright input
    output[0, 3] = (25, 0, 0)  # max channel 25: not below the threshold
    output[3, :] = 0  # dark over dark input: not counted
    assert near_black_share(output, source) == (3, 10)
    scores = score_pairs([(np.tile(source, (4, 4, 1)), np.tile(output, (4, 4, 1)))], near_black=True)
    assert scores.near_black == pytest.approx(0.3)
    assert score_pairs([(source.repeat(4, 0).repeat(4, 1),) * 2]).near_black is None


def test_luminance_accepts_uint8_hwc_and_float_chw():
    hwc = np.array([[[255, 0, 0], [0, 255, 0]]], np.uint8)
    np.testing.assert_allclose(luminance(hwc), [[0.299, 0.587]])
    np.testing.assert_allclose(luminance(np.moveaxis(hwc / 255.0, -1, 0)), [[0.299, 0.587]])
