"""Jackknife standard error of the KID ratio: exact leave-one-out values, and calibration by simulation."""

from __future__ import annotations

import numpy as np
import pytest

from i2i.errors import I2IError
from i2i.eval import jackknife
from i2i.eval.frechet import mmd2_unbiased
from i2i.eval.jackknife import (
    kid_ratio_difference_standard_error,
    kid_ratio_standard_error,
    mmd2_leave_one_out,
)


def test_leave_one_out_values_equal_the_mmd_of_each_smaller_set(monkeypatch):
    monkeypatch.setattr(jackknife, "_BLOCK", 4)  # several row blocks, one of them partial
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(9, 5)), rng.normal(loc=0.3, size=(7, 5))
    full, without_x, without_y = mmd2_leave_one_out(x, y)
    assert full == pytest.approx(mmd2_unbiased(x, y), rel=1e-12)
    assert without_x == pytest.approx([mmd2_unbiased(np.delete(x, i, 0), y) for i in range(9)], rel=1e-10)
    assert without_y == pytest.approx([mmd2_unbiased(x, np.delete(y, j, 0)) for j in range(7)], rel=1e-10)


def _brute_force_se(real, fake, source):
    """The jackknife written out: delete each real image, then each (translation, input) pair."""

    def ratio(r, f, s):
        return mmd2_unbiased(r, f) / mmd2_unbiased(r, s)

    def variance(values):
        values = np.array(values)
        return (len(values) - 1) / len(values) * ((values - values.mean()) ** 2).sum()

    over_real = [ratio(np.delete(real, i, 0), fake, source) for i in range(len(real))]
    over_pairs = [ratio(real, np.delete(fake, j, 0), np.delete(source, j, 0)) for j in range(len(fake))]
    return np.sqrt(variance(over_real) + variance(over_pairs))


def test_ratio_error_matches_the_written_out_jackknife():
    rng = np.random.default_rng(1)
    source = rng.normal(size=(12, 6))
    fake = source + 0.5 + 0.1 * rng.normal(size=(12, 6))  # each translation depends on its own input
    real = rng.normal(loc=0.8, size=(10, 6))
    assert kid_ratio_standard_error(real, fake, source) == pytest.approx(
        _brute_force_se(real, fake, source), rel=1e-9
    )
    # pairing matters: the same translations against shuffled inputs give another error
    shuffled = source[rng.permutation(12)]
    assert kid_ratio_standard_error(real, fake, shuffled) != pytest.approx(
        kid_ratio_standard_error(real, fake, source), rel=1e-3
    )


def test_ratio_error_predicts_the_spread_over_fresh_draws():
    """Draw the three sets 300 times from fixed distributions: the jackknife error of one draw should be
    close to the standard deviation of the ratio across draws (within 20%, on the median draw; seeds 0-3
    give 1-5%)."""
    rng = np.random.default_rng(2)
    d, n = 8, 60

    def draw():
        source = rng.normal(size=(n, d))
        fake = 0.6 * source + 0.5 + 0.4 * rng.normal(size=(n, d))
        real = rng.normal(loc=0.8, scale=0.9, size=(n, d))
        return mmd2_unbiased(real, fake) / mmd2_unbiased(real, source), (real, fake, source)

    draws = [draw() for _ in range(300)]
    spread = np.std([r for r, _ in draws])
    estimates = [kid_ratio_standard_error(*sets) for _, sets in draws[:40]]
    assert np.median(estimates) == pytest.approx(spread, rel=0.2)


def test_undefined_ratios_and_bad_shapes():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(6, 4))
    assert np.isnan(kid_ratio_standard_error(real, real[:2], real[:2]))  # too few images to leave one out
    same = real.copy()
    assert np.isnan(kid_ratio_standard_error(real, rng.normal(size=(6, 4)), same))  # baseline KID <= 0
    with pytest.raises(I2IError, match="pair up"):
        kid_ratio_standard_error(real, real[:4], real[:5])
    with pytest.raises(I2IError, match="at least 3"):
        mmd2_leave_one_out(real[:2], real)


def test_difference_error_matches_the_written_out_jackknife():
    rng = np.random.default_rng(4)
    source = rng.normal(size=(11, 5))
    first = source + 0.4 + 0.1 * rng.normal(size=(11, 5))
    second = source + 0.6 + 0.1 * rng.normal(size=(11, 5))
    real = rng.normal(loc=0.8, size=(9, 5))

    def difference(r, a, b, s):
        base = mmd2_unbiased(r, s)
        return (mmd2_unbiased(r, b) - mmd2_unbiased(r, a)) / base

    def variance(values):
        values = np.array(values)
        return (len(values) - 1) / len(values) * ((values - values.mean()) ** 2).sum()

    over_real = [difference(np.delete(real, i, 0), first, second, source) for i in range(9)]
    over_pairs = [
        difference(real, np.delete(first, j, 0), np.delete(second, j, 0), np.delete(source, j, 0))
        for j in range(11)
    ]
    expected = np.sqrt(variance(over_real) + variance(over_pairs))
    assert kid_ratio_difference_standard_error(real, first, second, source) == pytest.approx(
        expected, rel=1e-9
    )
    # the same model twice: no difference, no error; the models' rows must pair up
    assert kid_ratio_difference_standard_error(real, first, first, source) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(I2IError, match="pair up"):
        kid_ratio_difference_standard_error(real, first, second[:10], source)
    assert np.isnan(kid_ratio_difference_standard_error(real, first[:2], second[:2], source[:2]))


def test_difference_error_predicts_the_spread_of_the_difference_over_fresh_draws():
    """Two models whose translations share most of their input-to-output variation: the paired error of
    their difference should match the spread of the difference across draws (within 20% on the median
    draw) and be far smaller than either ratio's own error."""
    rng = np.random.default_rng(5)
    d, n = 8, 60

    def draw():
        source = rng.normal(size=(n, d))
        first = 0.6 * source + 0.5 + 0.4 * rng.normal(size=(n, d))
        second = first + 0.1 + 0.1 * rng.normal(size=(n, d))  # a small change to the first model
        real = rng.normal(loc=0.8, scale=0.9, size=(n, d))
        base = mmd2_unbiased(real, source)
        diff = (mmd2_unbiased(real, second) - mmd2_unbiased(real, first)) / base
        return diff, (real, first, second, source)

    draws = [draw() for _ in range(300)]
    spread = np.std([diff for diff, _ in draws])
    estimates = [kid_ratio_difference_standard_error(*sets) for _, sets in draws[:40]]
    assert np.median(estimates) == pytest.approx(spread, rel=0.2)
    single = [kid_ratio_standard_error(sets[0], sets[1], sets[3]) for _, sets in draws[:40]]
    assert np.median(estimates) < 0.5 * np.median(single)
