"""Distribution distances between two sets of feature vectors: FID and KID.

FID (Heusel et al. 2017): the Frechet distance between Gaussians fitted to the two feature sets,

    d^2 = |mu_1 - mu_2|^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2}).

Tr((S_1 S_2)^{1/2}) is computed as the sum of square roots of the eigenvalues of
S_1^{1/2} S_2 S_1^{1/2}, a symmetric positive semi-definite matrix with the same eigenvalues as S_1 S_2,
so no general (possibly complex) matrix square root is needed. From feature sets smaller than d (every
evaluation on a few hundred held-back images), the same trace is exact and far cheaper in the samples' own
space: with X and Y the centred (N_x, d) and (N_y, d) features, S_1 = X^T X / (N_x - 1),
S_2 = Y^T Y / (N_y - 1), and the eigenvalues of S_1 S_2 are the squared singular values of X Y^T divided by
(N_x - 1)(N_y - 1), so Tr((S_1 S_2)^{1/2}) is the nuclear norm of X Y^T over sqrt((N_x - 1)(N_y - 1)).

KID (Binkowski et al. 2018): the unbiased estimate of the squared MMD with the cubic polynomial kernel
k(x, y) = (x.y / d + 1)^3, averaged over random subsets; unbiased, so its expectation is 0 for two samples of
one distribution, and it is usable on small sets (facades' test split has 106 images).

Pure numpy, float64. Features are (N, d) arrays (Inception pool3: d = 2048).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from i2i.errors import I2IError


@dataclass(frozen=True)
class GaussianStats:
    """Mean (d,) and covariance (d, d) of a feature set of ``count`` vectors."""

    mu: np.ndarray
    sigma: np.ndarray
    count: int


def _feature_set(features: np.ndarray) -> np.ndarray:
    """(N, d) float64 features, N >= 2."""
    feats = np.asarray(features, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise I2IError(f"need at least 2 feature vectors of shape (N, d), got {feats.shape}")
    return feats


def gaussian_stats(features: np.ndarray) -> GaussianStats:
    """Fit a Gaussian to (N, d) features (unbiased covariance, N - 1). Needs N >= 2."""
    feats = _feature_set(features)
    return GaussianStats(feats.mean(axis=0), np.cov(feats, rowvar=False), feats.shape[0])


def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues -> 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(a: GaussianStats, b: GaussianStats) -> float:
    """Squared Frechet distance between two Gaussians (the FID when fed Inception pool3 statistics)."""
    if a.mu.shape != b.mu.shape:
        raise I2IError(f"feature sizes differ: {a.mu.shape} vs {b.mu.shape}")
    root_a = _sqrtm_psd(a.sigma)
    middle = root_a @ b.sigma @ root_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = a.mu - b.mu
    value = float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * trace_sqrt)
    return max(value, 0.0)  # a distance: anything below 0 is round-off


def fid(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two (N, d) feature sets (through the samples' space when a set has fewer than d vectors:
    module docstring)."""
    real, fake = _feature_set(real), _feature_set(fake)
    if min(len(real), len(fake)) > real.shape[1] or real.shape[1] != fake.shape[1]:
        return frechet_distance(gaussian_stats(real), gaussian_stats(fake))
    mu_real, mu_fake = real.mean(axis=0), fake.mean(axis=0)  # no d x d covariance needed here
    x, y = real - mu_real, fake - mu_fake
    n_x, n_y = len(real) - 1, len(fake) - 1
    trace_sqrt = np.linalg.svd(x @ y.T, compute_uv=False).sum() / np.sqrt(n_x * n_y)
    traces = (x * x).sum() / n_x + (y * y).sum() / n_y
    diff = mu_real - mu_fake
    return max(float(diff @ diff + traces - 2 * trace_sqrt), 0.0)


def kid_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(m, n) matrix of KID's polynomial kernel k(x_i, y_j) = (x_i . y_j / d + 1)^3 for (m, d) x, (n, d) y."""
    return (x @ y.T / x.shape[1] + 1) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased squared MMD between (m, d) and (n, d) samples with k(x, y) = (x.y / d + 1)^3."""
    kxx, kyy, kxy = kid_kernel(x, x), kid_kernel(y, y), kid_kernel(x, y)
    m, n = x.shape[0], y.shape[0]
    if m < 2 or n < 2:
        raise I2IError("KID needs at least 2 vectors per set")
    sum_xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    sum_yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sum_xx + sum_yy - 2 * kxy.mean())


def kid(
    real: np.ndarray, fake: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """KID: mean and standard deviation of the unbiased MMD^2 over ``subsets`` random subsets.

    Each subset draws ``min(subset_size, len(real), len(fake))`` vectors from each set without replacement.
    """
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    size = min(subset_size, real.shape[0], fake.shape[0])
    rng = np.random.default_rng(seed)
    values = [
        mmd2_unbiased(
            real[rng.choice(real.shape[0], size, replace=False)],
            fake[rng.choice(fake.shape[0], size, replace=False)],
        )
        for _ in range(subsets)
    ]
    return float(np.mean(values)), float(np.std(values))
