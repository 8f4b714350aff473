"""How far a KID ratio can be trusted: its standard error over the images, by the delete-one jackknife.

A KID ratio measured on a held-back set of 100 images moves by several hundredths when other 100 images are
drawn (the shipped apple2orange: 0.630 with a standard error of 0.040), so a difference between two models,
or a model and a gate, smaller than that says little. The KID (unbiased squared MMD with the cubic
polynomial kernel, :mod:`i2i.eval.frechet`) is a two-sample U-statistic, for which the jackknife is a sound
variance estimate: delete one image at a time, recompute, and

    se^2 = sum over samples s of (n_s - 1) / n_s * sum_i (theta_(i) - mean_i theta_(i))^2

with the two samples (the real target images; the source images *with* their translations, deleted as
pairs because both come from the same input) contributing independently. Each leave-one-out MMD needs only
kernel row sums, so the whole estimate costs the same O(n^2 d) as one KID, computed in row blocks to keep
memory at O(block x n).

Two models scored on the same images share most of that uncertainty (both meet the same hard and easy
inputs), so their difference is judged by its own jackknife, leaving the same image out of both
(:func:`kid_ratio_difference_standard_error`, behind ``i2i eval compare``).
"""

from __future__ import annotations

import numpy as np

from i2i.errors import I2IError
from i2i.eval.frechet import kid_kernel

_BLOCK = 1024


def _kernel_row_sums(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column sums of KID's kernel matrix for (m, d) x and (n, d) y, computed in row blocks."""
    rows, cols = np.empty(len(x)), np.zeros(len(y))
    for start in range(0, len(x), _BLOCK):
        block = kid_kernel(x[start : start + _BLOCK], y)
        rows[start : start + _BLOCK] = block.sum(axis=1)
        cols += block.sum(axis=0)
    return rows, cols


def _self_kernel_row_sums(x: np.ndarray) -> np.ndarray:
    """Row sums of k(x_i, x_j) over j != i."""
    rows, _ = _kernel_row_sums(x, x)
    return rows - (np.einsum("ij,ij->i", x, x) / x.shape[1] + 1) ** 3


def mmd2_leave_one_out(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Unbiased squared MMD of (m, d) ``x`` and (n, d) ``y`` (as :func:`i2i.eval.frechet.mmd2_unbiased`),
    and its values with each row of ``x`` left out, shape (m,), and with each row of ``y`` left out, (n,).

    Raises:
        I2IError: fewer than 3 vectors in a set (a leave-one-out MMD needs 2).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    m, n = len(x), len(y)
    if m < 3 or n < 3:
        raise I2IError(f"a jackknife KID needs at least 3 vectors per set, got {m} and {n}")
    rxx, ryy = _self_kernel_row_sums(x), _self_kernel_row_sums(y)
    rxy, cxy = _kernel_row_sums(x, y)
    sxx, syy, sxy = rxx.sum(), ryy.sum(), rxy.sum()
    full = sxx / (m * (m - 1)) + syy / (n * (n - 1)) - 2 * sxy / (m * n)
    without_x = (sxx - 2 * rxx) / ((m - 1) * (m - 2)) + syy / (n * (n - 1)) - 2 * (sxy - rxy) / ((m - 1) * n)
    without_y = sxx / (m * (m - 1)) + (syy - 2 * ryy) / ((n - 1) * (n - 2)) - 2 * (sxy - cxy) / (m * (n - 1))
    return float(full), without_x, without_y


def _jackknife_variance(values: np.ndarray) -> float:
    n = len(values)
    return float((n - 1) / n * np.sum((values - values.mean()) ** 2))


def _ratio_leave_one_out(
    real: np.ndarray, fake: np.ndarray, source: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """KID(real, fake) / KID(real, source) with each real image left out, shape (m,), and with each
    (translation, input) pair left out, shape (n,); None when the ratio is undefined (see below)."""
    if len(fake) != len(source):
        raise I2IError(f"fake and source must pair up row by row, got {len(fake)} and {len(source)} rows")
    if min(len(real), len(fake)) < 3:
        return None
    _, kid_without_real, kid_without_fake = mmd2_leave_one_out(real, fake)
    base, base_without_real, base_without_source = mmd2_leave_one_out(real, source)
    if base <= 0 or min(base_without_real.min(), base_without_source.min()) <= 0:
        return None
    return kid_without_real / base_without_real, kid_without_fake / base_without_source


def kid_ratio_standard_error(real: np.ndarray, fake: np.ndarray, source: np.ndarray) -> float:
    """Jackknife standard error of KID(real, fake) / KID(real, source) over the images.

    ``real``: (m, d) features of the real target images; ``fake`` and ``source``: (n, d) features of the
    translations and of their inputs, row i of one belonging to row i of the other. NaN when a set has
    fewer than 3 rows, or the baseline KID or one of its leave-one-out values is not positive (the ratio
    is then undefined).
    """
    values = _ratio_leave_one_out(real, fake, source)
    if values is None:
        return float("nan")
    over_real, over_pairs = values
    return float(np.sqrt(_jackknife_variance(over_real) + _jackknife_variance(over_pairs)))


def kid_ratio_difference_standard_error(
    real: np.ndarray, first: np.ndarray, second: np.ndarray, source: np.ndarray
) -> float:
    """Jackknife standard error of ratio(second) - ratio(first), two models' KID ratios on the same images.

    ``first`` and ``second``: (n, d) features of each model's translation of the same n inputs, row i of
    both belonging to row i of ``source``. Both ratios are recomputed with the same image left out, so what
    the two models have in common (the same hard and easy inputs, the same real images) cancels: the
    difference is usually known far better than either ratio. NaN as for
    :func:`kid_ratio_standard_error`.
    """
    if len(first) != len(second):
        raise I2IError(f"the two models' translations must pair up, got {len(first)} and {len(second)} rows")
    a, b = _ratio_leave_one_out(real, first, source), _ratio_leave_one_out(real, second, source)
    if a is None or b is None:
        return float("nan")
    return float(np.sqrt(_jackknife_variance(b[0] - a[0]) + _jackknife_variance(b[1] - a[1])))
