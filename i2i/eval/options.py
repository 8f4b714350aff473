"""What the ``i2i eval`` commands can be asked, as typed options (torch-free), one flag per field
(:mod:`i2i.cli.options`): :class:`UnpairedOptions` (``eval model``, ``eval compare``; read by
:func:`~i2i.eval.unpaired.eval_unpaired` and :func:`~i2i.eval.unpaired.compare_unpaired`),
:class:`PairedOptions` (``eval paired``), :class:`FolderOptions` (``eval fid``) and
:class:`StyleEvalOptions` (``eval style``). Each checks its values when it is built; ``arguments()`` gives
the keyword arguments of the library function the command calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from i2i.errors import I2IError
from i2i.options import Direction, check_ranges, choices, coerce_enums, option, plain_values, require

OrtDevice = choices("OrtDevice", "onnxruntime devices.", "auto", "cpu", "cuda")

DIRECTION_HELP = "Only for models without a recorded direction (or to pick one of a pair)."
DATA_ROOT_HELP = (
    "Where named datasets live and are fetched to (default: $I2I_DATA, else a per-user cache dir)."
)
KID_SUBSETS_HELP = "Random subsets for KID."
KID_SUBSET_SIZE_HELP = "Images per KID subset (capped by the set sizes)."


@dataclass(frozen=True, kw_only=True)
class UnpairedOptions:
    """How an unpaired evaluation scores: which images, how KID is estimated, where the model runs."""

    direction: Direction | None = option(None, DIRECTION_HELP)
    limit: int | None = option(None, "Only the first N source images (sorted by name).")
    kid_subsets: int = option(100, KID_SUBSETS_HELP)
    kid_subset_size: int = option(1000, KID_SUBSET_SIZE_HELP)
    holdout: float | None = option(
        None, "Score the held-back share of trainA/trainB (e.g. 0.1) that `--holdout` training skips."
    )
    device: OrtDevice = option(OrtDevice.auto, "onnxruntime device for the model.")
    threads: int | None = option(None, "onnxruntime CPU threads (default: all cores).")
    feature_device: str = option("cpu", "torch device of the Inception features.", cli=False)
    data_root: Path | None = option(None, DATA_ROOT_HELP)

    def __post_init__(self) -> None:
        coerce_enums(self)
        require(self, ("limit", "kid_subsets", "threads"), 1)
        require(self, ("kid_subset_size",), 2)
        if self.holdout is not None and not 0.0 < self.holdout < 1.0:
            raise I2IError(f"holdout must be a fraction in (0, 1), e.g. 0.1, got {self.holdout}")


@dataclass(frozen=True, kw_only=True)
class PairedOptions:
    """How ``i2i eval paired`` scores a paired split (:func:`~i2i.eval.paired.eval_paired`)."""

    split: str | None = option(None, "Split folder: val | test (default: test, else val).")
    direction: Direction | None = option(None, DIRECTION_HELP)
    limit: int | None = option(None, "Only the first N images (sorted by name).")
    size: int | None = option(None, "Resize both halves to NxN first (default: native size).")
    lpips: str = option("vgg", "LPIPS backbone: vgg | alex | none.")
    kid: bool = option(False, "Also KID of the outputs against the split's targets.")
    device: OrtDevice = option(OrtDevice.auto, "onnxruntime device.")
    threads: int | None = option(None, "onnxruntime CPU threads.", min=1)
    data_root: Path | None = option(None, DATA_ROOT_HELP)

    def __post_init__(self) -> None:
        coerce_enums(self)
        check_ranges(self)
        require(self, ("limit",), 1)
        require(self, ("size",), 16)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~i2i.eval.paired.eval_paired` after the model and the data
        (``--lpips none``: no LPIPS)."""
        values = plain_values(self)
        lpips, kid = values.pop("lpips"), values.pop("kid")
        return {**values, "lpips_net": None if lpips == "none" else lpips, "with_kid": kid}


@dataclass(frozen=True, kw_only=True)
class FolderOptions:
    """What ``i2i eval fid`` compares (:func:`~i2i.eval.distribution.compare_folders`)."""

    real: Path = option(help="Folder of real images.")
    fake: Path = option(help="Folder of generated images.")
    weights: Path | None = option(None, "FID Inception TorchScript file (skips the resolver).")
    device: str = option("cpu", "cpu | cuda.")
    kid_subsets: int = option(100, KID_SUBSETS_HELP)
    kid_subset_size: int = option(1000, KID_SUBSET_SIZE_HELP)

    def __post_init__(self) -> None:
        require(self, ("kid_subsets",), 1)
        require(self, ("kid_subset_size",), 2)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~i2i.eval.distribution.compare_folders`."""
        return plain_values(self)


@dataclass(frozen=True, kw_only=True)
class StyleEvalOptions:
    """What ``i2i eval style`` scores (:func:`~i2i.eval.style.eval_style`): a fast-style model run on the
    photos, or a folder of finished images of them; exactly one of ``model`` and ``outputs``; ``against``:
    reference finished images to compare with."""

    model: str | None = option(
        None,
        "Fast-style model to run on the photos: name (see `i2i models list`) or .onnx file.",
        flags=("-m",),
    )
    outputs: Path | None = option(
        None,
        "Instead of --model: a folder of finished stylised images (`i2i stylize --style` or `--model`, "
        "any tool), one per photo, matched by name (photo.jpg -> photo.png or photo.STYLE.png), read as "
        "they are.",
    )
    against: Path | None = option(
        None,
        "Also score a folder of reference finished images of the same photos (e.g. Gatys': `i2i stylize "
        "--style STYLE -o DIR`), matched like --outputs, and report the style left relative to theirs "
        "(> 1x: less stylised than the reference).",
    )
    photos: Path = option(help="Folder of held-out photos (recursive).")
    style: str = option(help="The painting: file or bundled style name.", flags=("-s",))
    limit: int | None = option(None, "Only the first N images (sorted by name).")
    size: int = option(
        256, "Resize photos to this long side first (--outputs: the size they were stylised at)."
    )
    style_size: int = option(512, "Style image long side.")
    backbone_weights: Path | None = option(
        None, "VGG16 weights file (skips the resolver); VGG16 is the training loss network."
    )
    alexnet_weights: Path | None = option(
        None,
        "AlexNet weights file (skips the resolver: LPIPS' lpips_alex file or torchvision's alexnet state "
        "dict); AlexNet is the independent check.",
    )
    device: OrtDevice = option(OrtDevice.auto, "onnxruntime device (--model).")
    threads: int | None = option(None, "onnxruntime CPU threads (--model).", min=1)

    def __post_init__(self) -> None:
        from i2i.eval.style import check_source

        coerce_enums(self)
        check_ranges(self)
        require(self, ("limit", "size", "style_size"), 1)
        check_source(self.model, self.outputs)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~i2i.eval.style.eval_style`."""
        return plain_values(self)
