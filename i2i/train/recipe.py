"""What a training method states, and what the loop lends it.

A recipe (:class:`Recipe`) supplies its data and networks (``build``), a ``train_step`` that returns
on-device loss tensors, its sample rows, its curve keys and its release artefacts; :mod:`i2i.train.loop`
does everything else. :class:`Env` is what the loop lends it: the device, the precision, the console, the
run's position and a way to warn or add a log record. The helpers below are what every step uses.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import torch
from rich.console import Console
from torch import nn

from i2i.amp import Precision
from i2i.checkpoint import ModelHeader
from i2i.nn.layers import batchnorm_to_instancenorm
from i2i.train.config import RunConfig
from i2i.train.distributed import DistContext
from i2i.train.ema import EMA
from i2i.train.rundir import JsonlLog
from i2i.train.schedules import ScheduleSpec

C = TypeVar("C", bound=RunConfig)


@dataclass
class Env:
    """What the loop lends a recipe: where it runs, and the run's position (read-only for recipes)."""

    cfg: RunConfig
    ctx: DistContext
    prec: Precision
    console: Console
    step: int = 0
    epoch: int = 0
    ema: dict[str, EMA] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    log: JsonlLog | None = None
    #: The last step's losses read back to the host (updated at log steps and epoch ends).
    last_losses: dict[str, float] = field(default_factory=dict)
    #: Every module placed with :meth:`place` (the gradient check switches their memory format).
    placed: list[nn.Module] = field(default_factory=list)

    def place(self, module: nn.Module) -> nn.Module:
        """``module`` on the training device (and memory format). Recipes place the networks their step
        runs through this, so a change of memory format (the gradient check's) reaches them."""
        module = self.prec.prepare_model(module)
        self.placed.append(module)
        return module

    def batch(self, x: torch.Tensor) -> torch.Tensor:
        """A loader batch on the training device, in the run's memory format."""
        return self.prec.prepare_input(x)

    def record(self, kind: str, values: dict[str, Any]) -> None:
        """Rank 0: append a ``kind`` record (e.g. ``val``) at the current step to train_log.jsonl."""
        if self.log is not None:
            self.log.write(kind, step=self.step, epoch=self.epoch, **values)

    def warn(self, message: str) -> None:
        """Queue a warning; the loop logs it and prints it (rank 0)."""
        self.warnings.append(message)


class Recipe(Generic[C]):
    """One training method. Subclasses set the class attributes and implement the hooks.

    ``build`` fills ``modules`` (trainable networks by name, placed with ``env.place``; their state goes
    into ``last.pt``), ``optimizers`` (by name; each gets a scheduler and a loss scaler), ``train_set``
    (a dataset with ``set_epoch``) and ``data_name``. After ``build`` the loop puts the DDP-wrapped
    networks in ``nets`` (the same as ``modules`` in a single process; see :meth:`wrap`).
    """

    task: ClassVar[str]
    config_class: ClassVar[type[RunConfig]]
    #: Networks averaged by ``--ema`` and used for samples, probes and release (the generators).
    ema_modules: ClassVar[tuple[str, ...]]
    #: Logged losses the divergence guard watches (NaN/inf in any logged value always stops).
    guard_keys: ClassVar[tuple[str, ...]]
    progress_keys: ClassVar[tuple[str, ...]]
    curve_keys: ClassVar[tuple[str, ...]]
    #: Probe key that ranks snapshots (lower is better); None: keep only the latest.
    metric_key: ClassVar[str | None] = None

    def __init__(self, cfg: C, env: Env) -> None:
        self.cfg = cfg
        self.env = env
        self.modules: dict[str, nn.Module] = {}
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        self.train_set: Any = None
        self.data_name = "data"

    # ---- required
    def build(self) -> None:
        raise NotImplementedError

    def train_step(self, batch: Any) -> dict[str, torch.Tensor]:
        """One optimisation step on a loader batch; returns 0-d loss tensors (left on the device)."""
        raise NotImplementedError

    def sample_rows(self) -> tuple[list[list[torch.Tensor]], list[str]]:
        """Grid rows of (3, H, W) tensors in [-1, 1] and column labels, from ``self.inference(...)``."""
        raise NotImplementedError

    def artefacts(self) -> dict[str, tuple[nn.Module, ModelHeader]]:
        """Release checkpoints by file stem: ``{"generator": (module, header)}`` -> ``generator.pt``."""
        raise NotImplementedError

    # ---- optional
    def epochs(self) -> int:
        return int(self.cfg.epochs)  # type: ignore[attr-defined]

    def schedule(self) -> ScheduleSpec | None:
        """The lr schedule (one step per epoch); None keeps the learning rate constant."""
        return None

    def describe(self) -> str:
        """A few words on the data for the start line."""
        return f"{len(self.train_set)} training images"

    def run_info(self) -> dict[str, Any]:
        """Extra ``config.json`` entries (resolved data path, domains...)."""
        return {}

    def monitor(self, values: dict[str, float]) -> None:
        """See every step's losses (read back at log steps, in order); warn with ``env.warn``."""

    def probe(self) -> dict[str, float] | None:
        """Quality metrics of the (EMA) generator on fixed held-out images, or None without a probe."""
        return None

    def end_epoch(self) -> float | None:
        """Called on every rank after each epoch; returns the plateau metric (lower is better)."""
        return None

    def finish(self, stopped: str) -> dict[str, float] | None:
        """Rank 0, after the release checkpoints: a last validation (its record is returned)."""
        return None

    def rank_state(self) -> dict[str, Any]:
        """This rank's own resumable state (image pools and their RNG)."""
        return {}

    def load_rank_state(self, state: dict[str, Any]) -> None:
        pass

    def wrap(self, wrap: Callable[[nn.Module], nn.Module]) -> dict[str, nn.Module]:
        """``nets``: what ``train_step`` calls, each network passed through ``wrap`` (DDP under torchrun,
        else the module itself). Default: every module. A step that calls a network other than through
        its ``forward`` (which DDP does not see) wraps a small module making those calls instead."""
        return {name: wrap(module) for name, module in self.modules.items()}

    # ---- helpers for recipes
    def inference(self, name: str) -> nn.Module:
        """An eval-mode copy of network ``name`` (its EMA under ``--ema``) for samples and probes."""
        return inference_copy(self.release_module(name))

    def release_module(self, name: str) -> nn.Module:
        """What a release checkpoint of ``name`` holds: the EMA copy, else the trained network."""
        return self.env.ema[name].module if name in self.env.ema else self.modules[name]

    def header_recipe(self) -> dict[str, Any]:
        """The ``recipe`` entry of release headers: the config plus where the run was."""
        return {
            **self.cfg.to_dict(),
            "data_name": self.data_name,
            "step": self.env.step,
            "epoch": self.env.epoch,
        }


def inference_copy(generator: nn.Module) -> nn.Module:
    """A deep copy of ``generator`` for sampling and validation, in eval mode, with every BatchNorm turned
    into the equivalent per-image InstanceNorm (what batch norm does at batch size 1 in train mode, and
    what export does). Using a copy leaves the training model's running statistics and the global RNG
    untouched, which exact resume relies on."""
    return batchnorm_to_instancenorm(copy.deepcopy(generator)).eval()


def optimizer_step(
    loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler
) -> None:
    """Backward ``loss`` and step ``optimizer`` through ``scaler`` (a pass-through unless fp16)."""
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()


def set_requires_grad(modules: nn.Module | Iterable[nn.Module], flag: bool) -> None:
    """Switch gradient computation of every parameter of ``modules`` on or off (skips D in G's step)."""
    if isinstance(modules, nn.Module):
        modules = [modules]
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(flag)
