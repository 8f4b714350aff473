"""FID and KID arithmetic against closed forms and independent computations."""

from __future__ import annotations

import numpy as np
import pytest

from i2i.errors import I2IError
from i2i.eval.frechet import fid, frechet_distance, gaussian_stats, kid


def _scipy_free_reference_fid(x: np.ndarray, y: np.ndarray) -> float:
    """FID via the general matrix square root of S1 S2 computed from its eigen-decomposition."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    values = np.linalg.eigvals(s1 @ s2)
    trace_sqrt = np.sqrt(values.astype(complex)).real.sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt)


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(200, 16))
    assert abs(fid(x, x)) < 1e-8


def test_fid_matches_closed_form_for_diagonal_gaussians():
    # Two Gaussians with diagonal covariances: d^2 = |dmu|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
    from i2i.eval.frechet import GaussianStats

    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = ((mu1 - mu2) ** 2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    got = frechet_distance(GaussianStats(mu1, np.diag(s1), 10), GaussianStats(mu2, np.diag(s2), 10))
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("n_x", "n_y"), [(6, 6), (40, 25), (3, 70)])
def test_fid_of_sets_smaller_than_the_feature_size_matches_the_covariance_form(n_x, n_y):
    """Fewer vectors than features (every held-back evaluation): the samples'-space trace is the same FID as
    the d x d covariance computation, also with unequal set sizes and a set far smaller than the other. Not to
    1e-9: the covariance form takes square roots of the round-off eigenvalues (about 1e-16) of the d - N
    directions the samples do not span, each adding about 1e-8."""
    rng = np.random.default_rng(n_x)
    d = 96
    x = rng.normal(size=(n_x, d)) * rng.uniform(0.5, 2.0, size=d)
    y = rng.normal(loc=0.3, size=(n_y, d)) @ rng.normal(size=(d, d)) / np.sqrt(d)
    expected = frechet_distance(gaussian_stats(x), gaussian_stats(y))
    assert fid(x, y) == pytest.approx(expected, rel=1e-7)
    assert fid(x, y) == pytest.approx(_scipy_free_reference_fid(x, y), rel=1e-6)


def test_fid_matches_an_independent_computation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))
    y = rng.normal(loc=0.5, size=(250, 8)) @ rng.normal(size=(8, 8))
    assert fid(x, y) == pytest.approx(_scipy_free_reference_fid(x, y), rel=1e-6)


def test_kid_is_unbiased_for_two_samples_of_one_distribution():
    rng = np.random.default_rng(2)
    population = rng.normal(size=(4000, 32))
    a, b = population[:2000], population[2000:]
    mean, std = kid(a, b, subsets=50, subset_size=200, seed=0)
    assert abs(mean) < 3 * std / np.sqrt(50) + 1e-4
    shifted_mean, _ = kid(a, b + 0.5, subsets=50, subset_size=200, seed=0)
    assert shifted_mean > 10 * max(abs(mean), 1e-4)


def test_gaussian_stats_needs_two_vectors():
    with pytest.raises(I2IError):
        gaussian_stats(np.zeros((1, 3)))
    with pytest.raises(I2IError, match="feature sizes differ"):
        frechet_distance(gaussian_stats(np.eye(3)), gaussian_stats(np.eye(4)))
