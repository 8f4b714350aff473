"""Training probes: fixed subsets, exact paired scores of an identity generator, KID through an extractor."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from i2i.errors import I2IError
from i2i.eval.frechet import kid
from i2i.eval.probes import KIDProbe, PairedProbe, fixed_subset


def _dataset(n=5, size=16, same=True):
    g = torch.Generator().manual_seed(0)
    items = []
    for _ in range(n):
        a = torch.rand(3, size, size, generator=g) * 2 - 1
        items.append({"A": a, "B": a.clone() if same else torch.rand(3, size, size, generator=g) * 2 - 1})
    return items


def test_fixed_subset_takes_the_first_items_and_checks_sizes():
    data = _dataset(5)
    subset = fixed_subset(data, 3)
    assert subset["A"].shape == (3, 3, 16, 16) and torch.equal(subset["B"][2], data[2]["B"])
    assert fixed_subset(data, 50)["A"].shape[0] == 5
    with pytest.raises(I2IError, match="differ in size"):
        fixed_subset([*data, {"A": torch.zeros(3, 8, 8), "B": torch.zeros(3, 8, 8)}], 6)


def test_paired_probe_scores_an_identity_generator_exactly():
    probe = PairedProbe(_dataset(5), 5, batch_size=2)
    result = probe(nn.Identity(), lambda x: x)
    assert result["eval_L1"] == 0.0 and result["eval_PSNR"] == 100.0
    assert result["eval_SSIM"] == pytest.approx(1.0, abs=1e-6)


def test_paired_probe_means_match_direct_metrics():
    from i2i.eval import metrics

    data = _dataset(4, same=False)
    result = PairedProbe(data, 4, batch_size=3)(nn.Identity(), lambda x: x)
    a = torch.stack([d["A"] for d in data]).add(1).div(2)
    b = torch.stack([d["B"] for d in data]).add(1).div(2)
    assert result["eval_L1"] == pytest.approx(metrics.l1(a, b), rel=1e-6)
    assert result["eval_PSNR"] == pytest.approx(metrics.psnr(a, b), rel=1e-6)
    assert result["eval_SSIM"] == pytest.approx(metrics.ssim(a, b), rel=1e-5)


class MeanColour:
    """A stand-in feature network: per-channel means and their squares (6-d), counting calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, images: torch.Tensor) -> np.ndarray:
        assert images.min() >= 0 and images.max() <= 1
        self.calls += 1
        m = images.mean(dim=(2, 3)).double()
        return torch.cat([m, m**2], dim=1).numpy()


def test_kid_probe_encodes_real_images_once_and_scores_translations():
    data = _dataset(6, same=False)
    extractor = MeanColour()
    probe = KIDProbe(data, 6, extractor, subsets=4, batch_size=4)
    assert extractor.calls == 2 and len(probe) == 6
    invert = lambda x: -x  # noqa: E731
    result = probe(invert, lambda x: x)
    fake = extractor((-torch.stack([d["A"] for d in data]) + 1) / 2)
    assert (result["eval_KID"], result["eval_KID_std"]) == pytest.approx(kid(probe.real, fake, 4, 6))
    with pytest.raises(I2IError, match="at least 2"):
        KIDProbe(data[:1], 1, extractor)
