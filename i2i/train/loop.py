"""Small pieces every training loop uses: loaders, fixed sample batches, inference copies, running means."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from i2i.nn.layers import batchnorm_to_instancenorm
from i2i.train.runtime import DistContext
from i2i.train.sampler import EpochBatchSampler


def default_workers() -> int:
    """Data-loader workers when ``--workers`` is not given: the CPU cores this process may use, less one for
    the training process itself, at most 4 (the reference implementation's number). A 2-core machine gets
    1, so torch does not warn about more workers than cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(4, cores - 1))


def make_loader(
    dataset: Dataset, batch_size: int, seed: int, workers: int | None, ctx: DistContext
) -> tuple[DataLoader, EpochBatchSampler]:
    """A DataLoader over this rank's share of ``dataset`` in a (seed, epoch)-determined order; ``workers``
    None means :func:`default_workers`.

    The loader gets its own torch generator, so creating an iterator never draws from the global RNG
    (which exact resume restores and dropout uses). Call ``dataset.set_epoch(e)`` and
    ``sampler.set_epoch(e, start_batch)`` before iterating epoch ``e``.
    """
    sampler = EpochBatchSampler(
        len(dataset),
        batch_size,
        seed,
        rank=ctx.rank,
        world_size=ctx.world_size,  # type: ignore[arg-type]
    )
    loader = DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=default_workers() if workers is None else workers,
        pin_memory=ctx.device.type == "cuda",
        generator=torch.Generator().manual_seed(seed),
    )
    return loader, sampler


def fixed_batch(dataset: Dataset, count: int) -> dict[str, torch.Tensor]:
    """The first ``count`` examples of ``dataset`` stacked: {"A": (n, C, H, W), "B": (n, C, H, W)}.

    Use an evaluation-mode dataset (no jitter) so the batch is the same at every call and in every run.
    Examples must share a size (true for the default resize/crop modes).
    """
    n = min(count, len(dataset))  # type: ignore[arg-type]
    items = [dataset[i] for i in range(n)]
    return {key: torch.stack([it[key] for it in items]) for key in ("A", "B")}


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


class RunningMeans:
    """Averages of per-step scalars between log records."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, values: dict[str, float]) -> None:
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + float(v)
        self.count += 1

    def means(self) -> dict[str, float]:
        return {k: v / max(1, self.count) for k, v in self.sums.items()}

    def reset(self) -> None:
        self.sums, self.count = {}, 0


def module_state(module: nn.Module) -> dict[str, Any]:
    """A CPU copy of ``module``'s state dict (weights and buffers)."""
    return {k: v.detach().to("cpu").clone() for k, v in module.state_dict().items()}
