"""Losses as pure functions: mean (never summed) errors, so they do not grow with image size.

- :mod:`i2i.losses.gan`: adversarial losses (vanilla, lsgan, wgangp, hinge), the gradient penalty, L1 and
  the discriminator's accuracy - what the GAN recipes optimise.
- :mod:`i2i.losses.perceptual`: Gram matrices and the content / style / total-variation losses of neural
  style and fast style.
- :mod:`i2i.losses.patchnce`: the PatchNCE contrastive loss of CUT / FastCUT.
"""

from i2i.losses.gan import (
    GAN_MODES,
    GanMode,
    discriminator_accuracy,
    discriminator_loss,
    gan_loss,
    generator_gan_loss,
    gradient_penalty,
    l1_loss,
)
from i2i.losses.patchnce import multilayer_patch_nce_loss, patch_nce_loss
from i2i.losses.perceptual import (
    GRAM_NORM_FLOOR,
    content_loss,
    gram,
    grid_loss,
    style_loss,
    target_normalised,
    tv_loss,
)

__all__ = [
    "GAN_MODES",
    "GRAM_NORM_FLOOR",
    "GanMode",
    "content_loss",
    "discriminator_accuracy",
    "discriminator_loss",
    "gan_loss",
    "generator_gan_loss",
    "gradient_penalty",
    "gram",
    "grid_loss",
    "l1_loss",
    "multilayer_patch_nce_loss",
    "patch_nce_loss",
    "style_loss",
    "target_normalised",
    "tv_loss",
]
