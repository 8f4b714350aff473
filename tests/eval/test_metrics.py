"""L1 / PSNR / SSIM: exact values on constructed images."""

from __future__ import annotations

import math

import pytest
import torch

from i2i.eval import metrics


def test_identical_images():
    x = torch.rand(2, 3, 24, 20, generator=torch.Generator().manual_seed(0))
    assert metrics.l1(x, x) == 0.0
    assert metrics.psnr(x, x) == metrics.PSNR_CAP_DB
    assert metrics.ssim(x, x) == 1.0
    assert math.isfinite(metrics.psnr(x, x))


def test_psnr_and_l1_known_values():
    x = torch.zeros(1, 3, 8, 8)
    y = torch.full((1, 3, 8, 8), 0.1)
    assert metrics.l1(x, y) == pytest.approx(0.1)
    assert metrics.psnr(x, y) == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert metrics.psnr(x * 2, y * 2, data_range=2.0) == pytest.approx(20.0)


def test_per_image_values_and_3d_input():
    x = torch.zeros(2, 1, 16, 16)
    y = torch.cat([torch.zeros(1, 1, 16, 16), torch.full((1, 1, 16, 16), 0.5)])
    per = metrics.l1(x, y, reduction="none")
    assert per.tolist() == [0.0, 0.5]
    assert metrics.psnr(x[0], y[0]) == metrics.PSNR_CAP_DB


def test_ssim_drops_with_noise_and_is_symmetric():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 32, 32, generator=g)
    noisy = (x + 0.2 * torch.randn(1, 3, 32, 32, generator=g)).clamp(0, 1)
    s = metrics.ssim(x, noisy)
    assert 0.0 < s < 0.9
    assert metrics.ssim(noisy, x) == pytest.approx(s)
    # a constant offset keeps the structure but changes luminance
    assert metrics.ssim(x * 0 + 0.2, x * 0 + 0.7) < 1.0


def test_shape_mismatch():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.psnr(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 5))
