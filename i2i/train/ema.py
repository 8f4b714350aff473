"""An exponential moving average of a network's weights (``--ema DECAY``).

After every optimizer step ``ema = decay * ema + (1 - decay) * weights`` for each parameter; buffers
(batch-norm running statistics) are copied as they are. The average usually gives cleaner samples than the
raw weights of a GAN generator late in training; the loop uses it for samples, validation, probes and
release checkpoints, and keeps it in the resumable state.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA:
    """An averaged copy of ``module`` (same device and dtypes, no gradients, eval mode)."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(module).eval()
        self.module.requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        """Move the average towards ``module``'s current weights (call after each optimizer step)."""
        weight = 1.0 - self.decay
        for avg, live in zip(self.module.parameters(), module.parameters(), strict=True):
            avg.lerp_(live.detach(), weight)
        for avg, live in zip(self.module.buffers(), module.buffers(), strict=True):
            avg.copy_(live)

    def state_dict(self) -> dict[str, Any]:
        return {k: v.detach().to("cpu").clone() for k, v in self.module.state_dict().items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state)
