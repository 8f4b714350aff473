"""What the pretrained measuring networks share (VGG and Inception taps, LPIPS): they stay frozen, and a
tapped network returns the outputs of the layers asked for."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Self

import torch
from torch import nn


class FrozenNetwork(nn.Module):
    """A network used as a fixed measure: its weights take no gradients and it is always in eval mode
    (``train()`` cannot switch it back, so a recipe's ``model.train()`` leaves its BatchNorm and dropout
    alone). A subclass calls :meth:`freeze` at the end of its ``__init__``."""

    def freeze(self) -> None:
        """No gradients for the weights (the input may still take them: DeepDream and Gatys need that)."""
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> Self:
        return super().train(False)


def tapped_forward(
    h: torch.Tensor, stages: Iterable[tuple[str, nn.Module]], taps: Collection[str]
) -> dict[str, torch.Tensor]:
    """Run ``h`` through the ``(name, stage)`` pairs in order: the outputs of the stages named in ``taps``."""
    out: dict[str, torch.Tensor] = {}
    for name, stage in stages:
        h = stage(h)
        if name in taps:
            out[name] = h
    return out
