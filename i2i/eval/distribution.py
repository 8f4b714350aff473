"""FID and KID between two image folders (REFERENCE §10)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from i2i.eval.frechet import fid, kid
from i2i.eval.inception_features import FIDInception, folder_features


@dataclass(frozen=True)
class DistributionScores:
    """FID, and KID as mean and std over random subsets (KID reported x1000 is common; these are raw)."""

    fid: float
    kid_mean: float
    kid_std: float
    real_count: int
    fake_count: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


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
    net = FIDInception(weights, device)
    tag = f"fid-tf-2015-12-05:{net.weights_path.name}"
    real_feats = folder_features(real, net, tag, batch_size)
    fake_feats = folder_features(fake, net, tag, batch_size)
    kid_mean, kid_std = kid(real_feats, fake_feats, kid_subsets, kid_subset_size)
    return DistributionScores(
        fid(real_feats, fake_feats), kid_mean, kid_std, len(real_feats), len(fake_feats)
    )
