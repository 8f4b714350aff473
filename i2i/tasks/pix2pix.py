"""Pix2Pix (Isola et al. 2017): a conditional GAN on aligned pairs, one direction (torch-free)."""

from i2i.tasks.registry import PAIRED, Network, QualityGate
from i2i.tasks.shared import CHECKERBOARD, gan_translator

SPEC = gan_translator(
    "pix2pix",
    "Pix2Pix",
    "Pix2Pix",
    help="Train Pix2Pix (U-Net generator + conditional PatchGAN; defaults are the paper's).\n\n"
    "Example: `i2i train pix2pix --data facades --direction BtoA`. Bounded CPU run at 128 px: "
    "`i2i train pix2pix --data facades --direction BtoA --net-g unet_128 --image-size 128 "
    "--max-minutes 30`.",
    networks=(
        Network("G", "generator: input image -> target image"),
        Network("D", "conditional PatchGAN: judges (input, candidate) pairs"),
    ),
    data=PAIRED,
    releases=("generator",),
    gates=(
        QualityGate("KID", "<=", 0.25),  # against the held-out split's target photos
        QualityGate("LPIPS_vgg", "<=", 0.55),
        CHECKERBOARD,
    ),
)
