"""i2i's FID/KID arithmetic against reference statistics computed independently (numpy/scipy only; see
``fixtures/reference_stats/README.md`` for how they were made)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from i2i.eval.frechet import GaussianStats, fid, frechet_distance, gaussian_stats, mmd2_unbiased

FIXTURE = Path(__file__).parent / "fixtures" / "reference_stats"


@pytest.fixture(scope="module")
def reference():
    stats = np.load(FIXTURE / "reference_stats.npz")
    return {
        "real": np.load(FIXTURE / "features_real.npy"),
        "fake": np.load(FIXTURE / "features_fake.npy"),
        **{k: stats[k] for k in stats.files},
        **json.loads((FIXTURE / "reference_values.json").read_text()),
    }


def test_gaussian_stats_match_the_reference(reference):
    for side in ("real", "fake"):
        ours = gaussian_stats(reference[side])
        np.testing.assert_allclose(ours.mu, reference[f"mu_{side}"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.sigma, reference[f"sigma_{side}"], rtol=0, atol=1e-12)
        assert ours.count == len(reference[side])


def test_fid_from_stored_statistics_matches_scipy_sqrtm(reference):
    a = GaussianStats(reference["mu_real"], reference["sigma_real"], len(reference["real"]))
    b = GaussianStats(reference["mu_fake"], reference["sigma_fake"], len(reference["fake"]))
    assert frechet_distance(a, b) == pytest.approx(reference["fid"], rel=1e-9)
    assert fid(reference["real"], reference["fake"]) == pytest.approx(reference["fid"], rel=1e-9)


def test_unbiased_mmd_matches_the_pairwise_loop(reference):
    got = mmd2_unbiased(reference["real"], reference["fake"])
    assert got == pytest.approx(reference["mmd2_unbiased"], rel=1e-10)
