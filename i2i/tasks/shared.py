"""What more than one task declares (torch-free): quality gates, and the shape of a GAN translator. Every
gate's number is measured by ``i2i eval`` on data the model never trained on."""

from i2i.tasks.registry import EVAL_PAIRED, EVAL_UNPAIRED, PAIRED, Network, QualityGate, TaskSpec

#: Output over input share of the spectrum's period-2 and period-4 peaks (the checkerboard of transposed
#: convolutions); 1 means the translation adds none.
CHECKERBOARD = QualityGate("checkerboard", "<=", 1.5)

#: Unpaired translators: KID of the translations to the real target images over KID of the untranslated
#: inputs to them, on held-back files (the table's ``held_out`` names them).
KID_RATIO = QualityGate("KID_ratio", "<=", 0.6, held_out=True)


def gan_translator(
    name: str,
    title: str,
    recipe_class: str,
    *,
    help: str,
    networks: tuple[Network, ...],
    data: str,
    releases: tuple[str, ...],
    gates: tuple[QualityGate, ...],
) -> TaskSpec:
    """A GAN that translates between two domains: trained by ``i2i train <name>`` with the recipe
    ``i2i.train.<name>:<recipe_class>``, measured by ``i2i eval`` the way its ``data`` is laid out (paired
    or unpaired), and shipped as small CPU-trained stand-ins."""
    return TaskSpec(
        name=name,
        title=title,
        command=name,
        help=help,
        recipe=f"i2i.train.{name}:{recipe_class}",
        networks=networks,
        data=data,
        releases=releases,
        gates=gates,
        eval=EVAL_PAIRED if data == PAIRED else EVAL_UNPAIRED,
        stand_in=True,
    )
