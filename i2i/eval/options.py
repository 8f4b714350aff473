"""What ``i2i eval model`` and ``i2i eval compare`` can be asked, as typed options (torch-free): one
:class:`UnpairedOptions` read by :func:`~i2i.eval.unpaired.eval_unpaired`,
:func:`~i2i.eval.unpaired.compare_unpaired` and the CLI (one flag per field, :mod:`i2i.cli.options`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from i2i.errors import I2IError
from i2i.options import Direction, choices, coerce_enums, option, require

OrtDevice = choices("OrtDevice", "onnxruntime devices.", "auto", "cpu", "cuda")


@dataclass(frozen=True, kw_only=True)
class UnpairedOptions:
    """How an unpaired evaluation scores: which images, how KID is estimated, where the model runs."""

    direction: Direction | None = option(
        None, "Only for models without a recorded direction (or to pick one of a pair)."
    )
    limit: int | None = option(None, "Only the first N source images (sorted by name).")
    kid_subsets: int = option(100, "Random subsets for KID.")
    kid_subset_size: int = option(1000, "Images per KID subset (capped by the set sizes).")
    holdout: float | None = option(
        None, "Score the held-back share of trainA/trainB (e.g. 0.1) that `--holdout` training skips."
    )
    device: OrtDevice = option(OrtDevice.auto, "onnxruntime device for the model.")
    threads: int | None = option(None, "onnxruntime CPU threads (default: all cores).")
    feature_device: str = option("cpu", "torch device of the Inception features.", cli=False)
    data_root: Path | None = option(
        None, "Where named datasets live and are fetched to (default: $I2I_DATA, else a per-user cache dir)."
    )

    def __post_init__(self) -> None:
        coerce_enums(self)
        require(self, ("limit", "kid_subsets", "threads"), 1)
        require(self, ("kid_subset_size",), 2)
        if self.holdout is not None and not 0.0 < self.holdout < 1.0:
            raise I2IError(f"holdout must be a fraction in (0, 1), e.g. 0.1, got {self.holdout}")
