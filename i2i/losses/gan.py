"""Adversarial losses and the L1 term of the GAN recipes, as pure functions (the L1 term is a
mean absolute error, averaged over all elements).

GAN losses take the discriminator's raw output (any shape: a PatchGAN gives (N, 1, 30, 30) at 256x256, a
pixel GAN (N, 1, H, W)) and build their targets from that shape with ``ones_like`` / ``zeros_like``; no
patch size is hard-coded. Every loss is a mean over all elements, so it does not grow with image size.

Modes (``GAN_MODES``), with ``p`` the discriminator output::

    vanilla  BCE with logits     real: -log sigmoid(p)      fake: -log(1 - sigmoid(p))     (paper pix2pix)
    lsgan    least squares       real: (p - 1)^2            fake: p^2                      (paper CycleGAN)
    wgangp   Wasserstein critic  real: -p                   fake: p       + gradient penalty (lambda 10)
    hinge    hinge               D real: relu(1 - p)        D fake: relu(1 + p);  G: -p

The discriminator objective is halved: ``0.5 * (loss(real) + loss(fake))``. Fakes fed to D must be detached
by the caller.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

GanMode = Literal["vanilla", "lsgan", "wgangp", "hinge"]
GAN_MODES: tuple[str, ...] = ("vanilla", "lsgan", "wgangp", "hinge")


def _check_mode(mode: str) -> None:
    if mode not in GAN_MODES:
        raise ValueError(f"unknown gan mode {mode!r}; valid: {', '.join(GAN_MODES)}")


def gan_loss(pred: Tensor, target_is_real: bool, mode: str, *, for_discriminator: bool = True) -> Tensor:
    """Adversarial loss of discriminator output ``pred`` (any shape, raw scores) against real/fake.

    ``for_discriminator`` only matters for ``hinge``: the generator's hinge loss is ``-mean(p)`` (asked
    with ``target_is_real=True``). Returns a scalar float32 tensor (computed in float32 even under AMP).
    """
    _check_mode(mode)
    pred = pred.float()
    if mode == "vanilla":
        target = torch.ones_like(pred) if target_is_real else torch.zeros_like(pred)
        return F.binary_cross_entropy_with_logits(pred, target)
    if mode == "lsgan":
        target = torch.ones_like(pred) if target_is_real else torch.zeros_like(pred)
        return F.mse_loss(pred, target)
    if mode == "wgangp":
        return -pred.mean() if target_is_real else pred.mean()
    # hinge
    if not for_discriminator:
        if not target_is_real:
            raise ValueError("the generator's hinge loss is only defined for target_is_real=True")
        return -pred.mean()
    return F.relu(1.0 - pred).mean() if target_is_real else F.relu(1.0 + pred).mean()


def discriminator_loss(pred_real: Tensor, pred_fake: Tensor, mode: str) -> tuple[Tensor, Tensor, Tensor]:
    """``(total, real_term, fake_term)`` with ``total = 0.5 * (real_term + fake_term)``.

    ``pred_fake`` must come from detached fakes. Scalar float32 tensors.
    """
    real = gan_loss(pred_real, True, mode)
    fake = gan_loss(pred_fake, False, mode)
    return 0.5 * (real + fake), real, fake


def generator_gan_loss(pred_fake: Tensor, mode: str) -> Tensor:
    """The generator's adversarial term: make D call its fakes real. Scalar float32 tensor."""
    return gan_loss(pred_fake, True, mode, for_discriminator=False)


def l1_loss(output: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error over all elements (pix2pix L1, CycleGAN cycle and identity terms)."""
    return (output.float() - target.float()).abs().mean()


def gradient_penalty(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    *,
    kind: Literal["mixed", "real", "fake"] = "mixed",
    constant: float = 1.0,
    weight: float = 10.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): ``weight * E[(||grad_x D(x)||_2 - constant)^2]``.

    ``x`` is a random per-sample interpolation of ``real`` and ``fake`` (``kind="mixed"``), or ``real`` /
    ``fake`` themselves. ``real`` and ``fake`` are (N, C, H, W) batches of the same shape (for a
    conditional D, the concatenated input|image pairs); ``fake`` should be detached. The interpolation
    coefficient is drawn from ``generator`` (default: the global torch RNG, which exact resume restores).
    The penalty keeps its graph (``create_graph=True``), so it can be added to the critic's loss.
    """
    if kind == "real":
        x = real
    elif kind == "fake":
        x = fake
    elif kind == "mixed":
        alpha = torch.rand(real.shape[0], 1, 1, 1, generator=generator, device="cpu").to(real.device)
        x = alpha * real.detach() + (1.0 - alpha) * fake.detach()
    else:
        raise ValueError(f"unknown gradient-penalty kind {kind!r}; valid: mixed, real, fake")
    x = x.detach().requires_grad_(True)
    out = critic(x)
    (grad,) = torch.autograd.grad(
        outputs=out, inputs=x, grad_outputs=torch.ones_like(out), create_graph=True, retain_graph=True
    )
    norms = grad.flatten(1).norm(2, dim=1)
    return weight * ((norms - constant) ** 2).mean()


def discriminator_accuracy(pred_real: Tensor, pred_fake: Tensor, mode: str) -> tuple[Tensor, Tensor]:
    """Fraction of D's output cells that classify correctly: ``(on real, on fake)``, 0-d float32 tensors
    in [0, 1] on the predictions' device (no host sync; read them when logging).

    The decision threshold is 0.5 for ``lsgan`` (targets 0 and 1) and 0 for the others (logits, critic
    and hinge scores).
    """
    _check_mode(mode)
    threshold = 0.5 if mode == "lsgan" else 0.0
    acc_real = (pred_real.detach().float() > threshold).float().mean()
    acc_fake = (pred_fake.detach().float() <= threshold).float().mean()
    return acc_real, acc_fake
