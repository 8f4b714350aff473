"""Cheap quality probes for training runs (``--eval-every N``): fixed image subsets scored by a generator.

- :class:`PairedProbe` (pix2pix): the first ``count`` pairs of the validation split; mean L1 / PSNR / SSIM
  of ``G(input)`` against the target, in [0, 1] units, keys ``eval_L1``, ``eval_PSNR``, ``eval_SSIM``.
- :class:`KIDProbe` (CycleGAN): the first ``count`` source images and as many real target images of the
  sample split; KID (raw; mean and std over random subsets) of ``G(source)`` against the real images with
  the FID Inception network, keys ``eval_KID``, ``eval_KID_std``. The real features are computed once.

The subsets are fixed at construction, so every probe of a run (and of a resumed run) sees the same
images. Generators get (n, 3, H, W) in [-1, 1] and return [-1, 1]; pass an inference copy (eval mode). Work
stays on the generator's device; each call reads back to the host once, at its end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from i2i.errors import I2IError
from i2i.eval import metrics
from i2i.eval.frechet import kid

#: The run folder's plot of the probe values (next to the loss curves).
EVAL_CURVES_FILE = "eval_curves.png"
PAIRED_KEYS = ("eval_L1", "eval_PSNR", "eval_SSIM")
KID_KEYS = ("eval_KID", "eval_KID_std")

Prepare = Callable[[torch.Tensor], torch.Tensor]


def _chunks(x: torch.Tensor, size: int) -> list[torch.Tensor]:
    return [x[i : i + size] for i in range(0, x.shape[0], size)]


def fixed_subset(dataset: Any, count: int, keys: Sequence[str] = ("A", "B")) -> dict[str, torch.Tensor]:
    """The first ``count`` items of an evaluation-mode dataset, stacked per key ((n, 3, H, W), [-1, 1])."""
    n = min(count, len(dataset))
    if n < 1:
        raise I2IError("the evaluation subset is empty")
    items = [dataset[i] for i in range(n)]
    try:
        return {k: torch.stack([it[k] for it in items]) for k in keys}
    except RuntimeError:
        raise I2IError(
            "evaluation images differ in size; use a fixed crop (--preprocess resize_and_crop)"
        ) from None


class PairedProbe:
    """Mean L1 / PSNR / SSIM of a generator on a fixed subset of paired images."""

    def __init__(self, dataset: Any, count: int, batch_size: int = 4) -> None:
        subset = fixed_subset(dataset, count)
        self.inputs, self.targets = subset["A"], subset["B"]
        self.batch_size = batch_size

    def __len__(self) -> int:
        return self.inputs.shape[0]

    @torch.no_grad()
    def __call__(self, G: nn.Module, prepare: Prepare) -> dict[str, float]:
        sums: torch.Tensor | None = None
        for x, y in zip(
            _chunks(self.inputs, self.batch_size), _chunks(self.targets, self.batch_size), strict=True
        ):
            out = (G(prepare(x)).float().clamp(-1, 1) + 1) / 2
            tgt = (y.to(out.device) + 1) / 2
            per = torch.stack(
                [
                    metrics.l1(out, tgt, "none"),
                    metrics.psnr(out, tgt, 1.0, "none"),
                    metrics.ssim(out, tgt, 1.0, "none"),
                ]
            ).sum(dim=1)
            sums = per if sums is None else sums + per
        assert sums is not None
        values = (sums / len(self)).tolist()  # the one host sync
        return dict(zip(PAIRED_KEYS, values, strict=True))


class KIDProbe:
    """KID of a generator's translations of fixed source images against fixed real target images.

    ``extractor``: (n, 3, H, W) in [0, 1] -> (n, d) features (numpy), e.g.
    :class:`~i2i.eval.inception_features.FIDInception`; built once by the caller.
    """

    def __init__(
        self,
        dataset: Any,
        count: int,
        extractor: Callable[[torch.Tensor], np.ndarray],
        subsets: int = 10,
        batch_size: int = 8,
    ) -> None:
        subset = fixed_subset(dataset, count)
        if subset["A"].shape[0] < 2:
            raise I2IError("KID needs at least 2 evaluation images")
        self.sources = subset["A"]
        self.extractor = extractor
        self.subsets = subsets
        self.batch_size = batch_size
        self.real = np.concatenate([extractor((b + 1) / 2) for b in _chunks(subset["B"], batch_size)])

    def __len__(self) -> int:
        return self.sources.shape[0]

    @torch.no_grad()
    def __call__(self, G: nn.Module, prepare: Prepare) -> dict[str, float]:
        fake = np.concatenate(
            [
                self.extractor((G(prepare(x)).float().clamp(-1, 1) + 1) / 2)
                for x in _chunks(self.sources, self.batch_size)
            ]
        )
        mean, std = kid(self.real, fake, subsets=self.subsets, subset_size=len(self))
        return {"eval_KID": mean, "eval_KID_std": std}
