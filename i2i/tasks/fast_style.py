"""Fast style transfer (Johnson et al. 2016): a feed-forward network trained against a frozen VGG's content
and Gram-matrix style losses for one style image (torch-free)."""

from i2i.tasks.registry import EVAL_STYLE, PHOTOS_AND_STYLE, STYLIZE, Network, QualityGate, TaskSpec

SPEC = TaskSpec(
    name="fast_style",
    title="fast style",
    command="style",
    help="Train a fast-style network (Johnson et al.) on a folder of photos; export it with `i2i export`.\n\n"
    "Example: `i2i train style --style starry --data photos/ --out runs/starry`.",
    recipe="i2i.train.fast_style:FastStyle",
    networks=(Network("net", "image transformation network: photo -> stylised photo"),),
    data=PHOTOS_AND_STYLE,
    releases=("model",),
    gates=(
        QualityGate("near_black_percent", "<", 0.1),
        # style left over Gatys' optimisation's on the same photos (`i2i eval style --against`): a fixed
        # share does not carry from one painting to another (Gatys leaves 4.8% of starry, 8.1% of great_wave)
        QualityGate("style_left_vs_gatys", "<=", 1.5),
        # the same ratio on AlexNet, a network neither the fast model nor Gatys optimised: VGG16's ratio
        # alone rewards a fixed 4-px grid that VGG16's Grams take for brush texture (docs/stylize.md)
        QualityGate("style_left_alexnet_vs_gatys", "<=", 1.5),
    ),
    eval=EVAL_STYLE,
    directions=(),
    translation=False,
    endpoint=STYLIZE,
)
