"""Failure signs of GAN training worth a warning: the discriminator dominating, and mode collapse.

* D dominates: over a sustained window of steps, D's loss is near 0 and it classifies (almost) every real
  and fake patch correctly - the generator then gets vanishing or useless gradients (for comparison, at
  equilibrium an LSGAN D's loss is about 0.25 and a vanilla (BCE) D's about ln 2).
* Outputs stop depending on inputs: on a fixed batch of different inputs, the generator's outputs are
  nearly the same image (their spread is a small fraction of the targets' spread).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import torch


@dataclass
class DominanceMonitor:
    """Feed one ``(d_loss, acc_real, acc_fake)`` per step; :meth:`update` returns a warning message once
    the window is full of dominant steps, then stays quiet for another ``window`` steps."""

    window: int = 200
    loss_below: float = 0.05
    accuracy_above: float = 0.99
    _flags: deque[bool] = field(default_factory=deque)
    _quiet: int = 0

    def update(self, d_loss: float, acc_real: float, acc_fake: float) -> str | None:
        dominant = (
            d_loss < self.loss_below and acc_real >= self.accuracy_above and acc_fake >= self.accuracy_above
        )
        self._flags.append(dominant)
        if len(self._flags) > self.window:
            self._flags.popleft()
        if self._quiet > 0:
            self._quiet -= 1
            return None
        if len(self._flags) == self.window and all(self._flags):
            self._quiet = self.window
            return (
                f"discriminator dominates: D loss < {self.loss_below} and D accuracy >= "
                f"{self.accuracy_above:.0%} on real and fake for the last {self.window} steps "
                "(try a lower D lr, a smaller --ndf, or a different --gan-mode)"
            )
        return None


def spread(images: torch.Tensor) -> float:
    """Mean absolute deviation of a batch (N, C, H, W) from its mean image (0 when all are identical)."""
    images = images.detach().float()
    return float((images - images.mean(dim=0, keepdim=True)).abs().mean())


def collapse_warning(outputs: torch.Tensor, targets: torch.Tensor, ratio: float = 0.1) -> str | None:
    """A warning when the outputs for different inputs (N >= 2) vary less than ``ratio`` times the targets.

    ``outputs`` and ``targets``: (N, C, H, W) in [-1, 1].
    """
    if outputs.shape[0] < 2:
        return None
    target_spread = spread(targets)
    if target_spread <= 1e-6:
        return None
    output_spread = spread(outputs)
    if output_spread < ratio * target_spread:
        return (
            f"outputs barely depend on inputs: their spread over the sample batch is {output_spread:.4f}, "
            f"{output_spread / target_spread:.1%} of the targets' (mode collapse?)"
        )
    return None
