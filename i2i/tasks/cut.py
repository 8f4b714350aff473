"""CUT and FastCUT (Park et al. 2020): one generator on unpaired domains, trained with a patchwise
contrastive (PatchNCE) loss instead of a cycle; one direction (torch-free)."""

from i2i.tasks.registry import EVAL_UNPAIRED, UNPAIRED, Network, TaskSpec
from i2i.tasks.shared import CHECKERBOARD, KID_RATIO

SPEC = TaskSpec(
    name="cut",
    title="CUT / FastCUT",
    command="cut",
    help="Train CUT (contrastive unpaired translation, one direction, one generator) on trainA/ and "
    "trainB/; `--fast` trains FastCUT (defaults are the authors').\n\n"
    "Example: `i2i train cut --data apple2orange`. Bounded CPU run at 128 px on 90% of the images: "
    "`i2i train cut --data apple2orange --fast --ngf 32 --load-size 143 --crop-size 128 --holdout 0.1 "
    "--max-minutes 60`.",
    recipe="i2i.train.cut:CUT",
    networks=(
        Network("G", "generator A -> B; its encoder's features feed the PatchNCE loss"),
        Network("D", "PatchGAN on domain B"),
        Network("F", "PatchNCE head: an MLP per encoder layer projecting sampled patches"),
    ),
    data=UNPAIRED,
    releases=("generator_{a}2{b}",),
    gates=(KID_RATIO, CHECKERBOARD),
    eval=EVAL_UNPAIRED,
    stand_in=True,
)
