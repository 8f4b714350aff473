"""CUT and FastCUT (Park et al. 2020): one generator on unpaired domains, trained with a patchwise
contrastive (PatchNCE) loss instead of a cycle; one direction (torch-free)."""

from i2i.tasks.registry import UNPAIRED, Network
from i2i.tasks.shared import CHECKERBOARD, KID_RATIO, gan_translator

SPEC = gan_translator(
    "cut",
    "CUT / FastCUT",
    "CUT",
    help="Train CUT (contrastive unpaired translation, one direction, one generator) on trainA/ and "
    "trainB/; `--fast` trains FastCUT (defaults are the authors').\n\n"
    "Example: `i2i train cut --data apple2orange`. Bounded CPU run at 128 px on 90% of the images: "
    "`i2i train cut --data apple2orange --fast --ngf 32 --load-size 143 --crop-size 128 --holdout 0.1 "
    "--max-minutes 60`.",
    networks=(
        Network("G", "generator A -> B; its encoder's features feed the PatchNCE loss"),
        Network("D", "PatchGAN on domain B"),
        Network("F", "PatchNCE head: an MLP per encoder layer projecting sampled patches"),
    ),
    data=UNPAIRED,
    releases=("generator_{a}2{b}",),
    gates=(KID_RATIO, CHECKERBOARD),
)
