"""Learning-rate schedules, stepped once per epoch (as the reference implementation does).

``linear`` (the papers'): constant for ``epochs`` epochs, then linear decay to 0 over ``epochs_decay``
epochs: epoch ``e`` (0-based) trains at ``lr0 * (1 - max(0, e + 1 - epochs) / (epochs_decay + 1))``, the
reference implementation's formula. With the defaults 100 + 100, epochs 0-99 use lr0, epoch 100 uses
lr0 * 100/101 and the last epoch (199) lr0/101.

``step``: multiply by ``gamma`` (0.1) every ``step_epochs`` epochs. ``plateau``: ReduceLROnPlateau (factor
0.2, patience 5, threshold 0.01) on a metric the recipe passes to :func:`step_scheduler` (lower is better).
``cosine``: cosine annealing from lr0 to 0 over ``epochs + epochs_decay`` epochs.

A resumed run may change its epoch counts (:func:`replan`): the schedule follows the new counts from the
epoch it is in.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

from torch.optim import Optimizer
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LRScheduler, ReduceLROnPlateau, StepLR

from i2i.errors import I2IError

LrPolicy = Literal["linear", "step", "plateau", "cosine"]
LR_POLICIES: tuple[str, ...] = ("linear", "step", "plateau", "cosine")
Scheduler = LRScheduler | ReduceLROnPlateau


@dataclass(frozen=True)
class ScheduleSpec:
    """One learning-rate policy and its numbers (epochs, not steps)."""

    policy: str = "linear"
    epochs: int = 100
    epochs_decay: int = 100
    step_epochs: int = 50
    gamma: float = 0.1

    def __post_init__(self) -> None:
        if self.policy not in LR_POLICIES:
            raise I2IError(f"unknown lr policy {self.policy!r}; valid: {', '.join(LR_POLICIES)}")
        if self.epochs < 0 or self.epochs_decay < 0 or self.epochs + self.epochs_decay < 1:
            raise I2IError(
                f"epochs ({self.epochs}) and epochs-decay ({self.epochs_decay}) must be >= 0, not both 0"
            )

    @property
    def total_epochs(self) -> int:
        return self.epochs + self.epochs_decay


def linear_factor(epoch: int, spec: ScheduleSpec) -> float:
    """The ``linear`` policy's multiplier for 0-based epoch ``epoch`` (1.0 during the constant part)."""
    return 1.0 - max(0, epoch + 1 - spec.epochs) / float(spec.epochs_decay + 1)


def build_scheduler(optimizer: Optimizer, spec: ScheduleSpec) -> Scheduler:
    """A torch scheduler for ``spec`` driving ``optimizer`` (whose current lr is lr0)."""
    if spec.policy == "linear":
        # LambdaLR's state_dict stores None for plain functions, so last.pt loads with weights_only.
        def factor(epoch: int) -> float:
            return linear_factor(epoch, spec)

        return LambdaLR(optimizer, lr_lambda=factor)
    if spec.policy == "step":
        return StepLR(optimizer, step_size=max(1, spec.step_epochs), gamma=spec.gamma)
    if spec.policy == "plateau":
        return ReduceLROnPlateau(optimizer, mode="min", factor=0.2, threshold=0.01, patience=5)
    return CosineAnnealingLR(optimizer, T_max=max(1, spec.total_epochs), eta_min=0.0)


def step_scheduler(scheduler: Scheduler, metric: float | None = None) -> None:
    """Advance one epoch. ``metric`` (lower is better) is required by ``plateau`` and ignored otherwise."""
    if isinstance(scheduler, ReduceLROnPlateau):
        if metric is None:
            raise ValueError("the plateau policy needs a metric each epoch")
        scheduler.step(metric)
    else:
        with warnings.catch_warnings():
            # A run resumed exactly at an epoch boundary steps the schedule before its first
            # optimizer.step() in this process; the order is right, torch cannot know it.
            warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step\\(\\)` before")
            scheduler.step()


def replan(scheduler: Scheduler, spec: ScheduleSpec, epoch: int) -> None:
    """Make a restored ``scheduler`` follow ``spec`` (new epoch counts) from 0-based ``epoch`` on.

    ``linear`` sets the optimizer's rate for ``epoch`` from the new plan at once; ``step`` and ``plateau``
    do not depend on the epoch counts. ``cosine`` fixed its period when the run started, so it refuses, as
    does a plan the run has already finished.
    """
    if epoch >= spec.total_epochs:
        raise I2IError(
            f"the run has finished {epoch} epochs: epochs + epochs-decay ({spec.total_epochs}) must be more"
        )
    if isinstance(scheduler, CosineAnnealingLR):
        raise I2IError("a cosine schedule fixes its length when the run starts: its epochs cannot change")
    if isinstance(scheduler, LambdaLR):
        for group, base in zip(scheduler.optimizer.param_groups, scheduler.base_lrs, strict=True):
            group["lr"] = base * linear_factor(epoch, spec)


def current_lr(optimizer: Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
