"""FID and KID between two image folders, over Inception-v3 pool3 (2048-d) features.

FID (Heusel et al. 2017) is the Frechet distance between Gaussians fitted to the two folders' features;
KID (Binkowski et al. 2018) the unbiased MMD with the cubic polynomial kernel, which is unbiased and so
better for small test sets (facades has 106 test images). Published FIDs of reference models for scale:
CycleGAN horse2zebra 62.1, pix2pix facades 119.1 (MMEditing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from i2i.eval.frechet import fid, kid
from i2i.eval.inception_features import FIDInception, folder_features
from i2i.eval.record import ScoreRecord


@dataclass(frozen=True)
class DistributionScores(ScoreRecord):
    """FID, and KID as mean and std over random subsets (KID reported x1000 is common; these are raw)."""

    fid: float
    kid_mean: float
    kid_std: float
    real_count: int
    fake_count: int


def feature_sets(
    *folders: str | Path, weights: str | Path | None = None, device: str = "cpu", batch_size: int = 32
) -> list[np.ndarray]:
    """(N_i, 2048) Inception pool3 features of the images under each folder, cached per folder content."""
    net = FIDInception(weights, device)
    tag = f"fid-tf-2015-12-05:{net.weights_path.name}"
    return [folder_features(folder, net, tag, batch_size) for folder in folders]


def distribution_scores(
    real_feats: np.ndarray, fake_feats: np.ndarray, kid_subsets: int = 100, kid_subset_size: int = 1000
) -> DistributionScores:
    """FID and KID of two (N, d) feature sets (real first)."""
    kid_mean, kid_std = kid(real_feats, fake_feats, kid_subsets, kid_subset_size)
    return DistributionScores(
        fid(real_feats, fake_feats), kid_mean, kid_std, len(real_feats), len(fake_feats)
    )


def compare_folders(
    real: str | Path,
    fake: str | Path,
    weights: str | Path | None = None,
    device: str = "cpu",
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    batch_size: int = 32,
) -> DistributionScores:
    """FID and KID of the images under ``fake`` against those under ``real`` (features cached per folder)."""
    real_feats, fake_feats = feature_sets(real, fake, weights=weights, device=device, batch_size=batch_size)
    return distribution_scores(real_feats, fake_feats, kid_subsets, kid_subset_size)
