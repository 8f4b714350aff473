"""GAN losses, L1 and the gradient penalty against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from i2i.losses import (
    discriminator_accuracy,
    discriminator_loss,
    gan_loss,
    generator_gan_loss,
    gradient_penalty,
    l1_loss,
)

PRED = torch.tensor([[[[0.0, 2.0], [-1.0, 0.5]]]])  # (1, 1, 2, 2)


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_vanilla_is_bce_with_logits_with_targets_shaped_like_the_output():
    real = sum(_softplus(-p) for p in (0.0, 2.0, -1.0, 0.5)) / 4
    fake = sum(_softplus(p) for p in (0.0, 2.0, -1.0, 0.5)) / 4
    assert gan_loss(PRED, True, "vanilla").item() == pytest.approx(real, rel=1e-6)
    assert gan_loss(PRED, False, "vanilla").item() == pytest.approx(fake, rel=1e-6)
    # any output shape works: a pixel GAN map (2, 1, 3, 5) at p = 0 gives ln 2
    assert gan_loss(torch.zeros(2, 1, 3, 5), True, "vanilla").item() == pytest.approx(math.log(2))


def test_lsgan_is_mean_squared_error_to_one_and_zero():
    assert gan_loss(PRED, True, "lsgan").item() == pytest.approx((1 + 1 + 4 + 0.25) / 4)
    assert gan_loss(PRED, False, "lsgan").item() == pytest.approx((0 + 4 + 1 + 0.25) / 4)


def test_wgangp_and_hinge():
    mean = (0.0 + 2.0 - 1.0 + 0.5) / 4
    assert gan_loss(PRED, True, "wgangp").item() == pytest.approx(-mean)
    assert gan_loss(PRED, False, "wgangp").item() == pytest.approx(mean)
    assert gan_loss(PRED, True, "hinge").item() == pytest.approx((1 + 0 + 2 + 0.5) / 4)
    assert gan_loss(PRED, False, "hinge").item() == pytest.approx((1 + 3 + 0 + 1.5) / 4)
    assert generator_gan_loss(PRED, "hinge").item() == pytest.approx(-mean)


def test_discriminator_loss_is_halved_sum():
    total, real, fake = discriminator_loss(PRED, -PRED, "lsgan")
    assert total.item() == pytest.approx(0.5 * (real.item() + fake.item()))
    assert real.item() == pytest.approx(6.25 / 4)
    assert fake.item() == pytest.approx(5.25 / 4)  # mean((-p)^2)


def test_lsgan_equilibrium_and_unknown_mode():
    half = torch.full((1, 1, 4, 4), 0.5)
    assert discriminator_loss(half, half, "lsgan")[0].item() == pytest.approx(0.25)
    with pytest.raises(ValueError, match="unknown gan mode"):
        gan_loss(PRED, True, "wgan")


def test_l1_is_mean_absolute_error():
    a = torch.tensor([1.0, -1.0, 0.5, 0.0])
    b = torch.tensor([0.0, 1.0, 0.5, -0.5])
    assert l1_loss(a, b).item() == pytest.approx((1 + 2 + 0 + 0.5) / 4)


def test_gradient_penalty_of_a_linear_critic():
    # D(x) = sum(w * x): its input gradient is w everywhere, so the penalty is 10 * (|w| - 1)^2.
    critic = nn.Conv2d(1, 1, kernel_size=2, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[[[1.0, 2.0], [2.0, 4.0]]]]))  # |w| = 5
    real, fake = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    gp = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx(10.0 * (5.0 - 1.0) ** 2)
    gp.backward()  # keeps a graph into the critic's weights
    assert critic.weight.grad is not None


def test_discriminator_accuracy_thresholds():
    real, fake = torch.tensor([0.3, -0.2, 0.9, 1.0]), torch.tensor([-0.3, 0.1, 0.4, -1.0])
    assert discriminator_accuracy(real, fake, "vanilla") == (0.75, 0.5)
    assert discriminator_accuracy(real, fake, "lsgan") == (0.5, 1.0)
