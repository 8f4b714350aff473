"""CycleGAN (Zhu et al. 2017): two generators and two discriminators on unpaired domains, cycle-consistent;
one release per direction (torch-free)."""

from i2i.tasks.registry import UNPAIRED, Network
from i2i.tasks.shared import CHECKERBOARD, KID_RATIO, gan_translator

SPEC = gan_translator(
    "cyclegan",
    "CycleGAN",
    "CycleGAN",
    help="Train CycleGAN on unpaired folders trainA/ and trainB/ (defaults are the paper's).\n\n"
    "Example: `i2i train cyclegan --data apple2orange`. Bounded CPU run at 128 px: `i2i train cyclegan "
    "--data apple2orange --net-g resnet_6blocks --ngf 32 --image-size 128 --max-minutes 60`.",
    networks=(
        Network("G_A", "generator A -> B"),
        Network("G_B", "generator B -> A"),
        Network("D_A", "PatchGAN on domain A (the paper's D_X): real A vs G_B's output"),
        Network("D_B", "PatchGAN on domain B (the paper's D_Y): real B vs G_A's output"),
    ),
    data=UNPAIRED,
    releases=("generator_{a}2{b}", "generator_{b}2{a}"),
    gates=(KID_RATIO, CHECKERBOARD),
)
