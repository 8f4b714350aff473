"""Gram, content, style and total-variation losses against values computed by hand."""

from __future__ import annotations

import pytest
import torch

from i2i.losses import content_loss, gram, grid_loss, style_loss, tv_loss


def test_gram_by_hand():
    # C=2, H=1, W=2: F = [[1, 2], [3, 4]]; F F^T = [[5, 11], [11, 25]]; / (2*1*2)
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4
    torch.testing.assert_close(gram(f), expected)
    assert gram(torch.rand(3, 5, 4, 6)).shape == (3, 5, 5)


def test_content_loss_by_hand():
    a = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    b = torch.tensor([[[[1.0, 0.0], [3.0, 7.0]]]])
    assert content_loss(a, b).item() == pytest.approx((0 + 4 + 0 + 9) / 4)


def test_style_loss_by_hand():
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # gram = [[1.25, 2.75], [2.75, 6.25]]
    target = torch.zeros(1, 2, 2)
    by_hand = (1.25**2 + 2 * 2.75**2 + 6.25**2) / 4
    loss = style_loss({"a": f, "b": f * 2}, {"a": target, "b": target}, {"a": 1.0, "b": 0.5})
    # layer b: gram scales by 4, squared error by 16
    assert loss.item() == pytest.approx(by_hand * (1.0 + 0.5 * 16))
    batch = torch.cat([f, f])
    assert style_loss({"a": batch}, {"a": target}, {"a": 1.0}).item() == pytest.approx(by_hand)


def test_tv_loss_by_hand():
    x = torch.tensor([[[[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]]])
    # vertical diffs: 2, 1, -1 -> mean sq 6/3 = 2; horizontal: 1, 2, 0, 0 -> 5/4
    assert tv_loss(x).item() == pytest.approx(2 + 1.25)
    assert tv_loss(torch.ones(1, 3, 8, 8)).item() == 0.0


def test_grid_loss_is_the_lattice_energy_of_the_spectrum_over_one_block():
    """Over one 32x32 block the loss is the image's DFT energy on the frequencies k/4 (DC left out), by
    Parseval: the lattice the checkerboard score reads."""
    torch.manual_seed(0)
    x = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    spectrum = torch.fft.fft2(x).abs().square()
    lattice = spectrum[..., ::8, ::8].clone()  # bins 0, 8, 16, 24 of 32: frequencies 0, 1/4, 1/2, 3/4
    lattice[..., 0, 0] = 0
    expected = lattice.sum(dim=(-2, -1)) / 32**4  # mean over pixels of the period-4 component squared
    assert grid_loss(x).item() == pytest.approx(expected.mean().item(), rel=1e-10)


def test_grid_loss_finds_a_tiled_pattern_wherever_it_starts_and_ignores_smooth_images():
    tile = torch.tensor([[1.0, -1.0, 1.0, -1.0], [-1.0, 1.0, -1.0, 1.0]] * 2)  # zero-mean checkerboard
    pattern = 0.5 + 0.1 * tile.repeat(16, 16)[None, None]  # 64x64
    assert grid_loss(pattern).item() == pytest.approx(0.01, rel=1e-5)
    for shift in ((1, 0), (0, 3), (2, 1)):
        assert grid_loss(pattern.roll(shift, dims=(2, 3))).item() == pytest.approx(0.01, rel=1e-5)
    assert grid_loss(torch.full((1, 3, 64, 64), 0.3)).item() == pytest.approx(0.0, abs=1e-12)
    # A ramp's phases differ by its slope s per pixel: 1.25 s^2, the mean of ((j - 1.5) s)^2 over j = 0..3.
    # A photo's shading (s of 1/255 to 1/64) scores 2e-5 to 3e-4, a visible 0.1 checkerboard 0.01.
    slope = 1 / 64
    ramp = (torch.arange(64.0) * slope).expand(1, 1, 64, 64)
    assert grid_loss(ramp).item() == pytest.approx(1.25 * slope**2, rel=1e-5)
    # Only whole 32-px blocks count; a local pattern counts in its own block, not averaged away.
    patch = torch.full((1, 1, 70, 64), 0.5)
    patch[..., :32, :32] += 0.1 * tile.repeat(8, 8)
    assert grid_loss(patch).item() == pytest.approx(0.01 / 4, rel=1e-5)
    with pytest.raises(ValueError, match="at least 32 px"):
        grid_loss(torch.rand(1, 3, 31, 64))


def test_grid_loss_gradient_matches_float64_finite_differences():
    x = torch.rand(1, 2, 32, 36, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(grid_loss, (x,))
