"""This process's place in a (possibly multi-process) run: rank, world size, device, and the collectives
the loop needs.

Distributed runs: launch with ``torchrun --nproc_per_node=K -m i2i.cli.main train pix2pix ...`` (or the
``i2i`` console script under torchrun). :func:`setup_distributed` reads ``RANK`` / ``WORLD_SIZE`` /
``LOCAL_RANK`` from the environment and initialises the process group with ``gloo`` on CPU and ``nccl`` on
CUDA. Only rank 0 writes files or prints progress (:attr:`DistContext.is_main`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist

from i2i.amp import select_device


@dataclass(frozen=True)
class DistContext:
    """This process's place in a run (rank 0 of 1 on the CPU by default)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        """Rank 0: the only process that writes files and prints progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup_distributed(device_name: str) -> DistContext:
    """Join the process group torchrun set up (``WORLD_SIZE`` > 1), else a single-process context.

    Backend: ``nccl`` for CUDA, ``gloo`` for CPU. Safe to call when a group is already initialised (tests
    that spawn workers themselves).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    device = select_device(device_name, local_rank)
    if world > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if dist.is_initialized():
        world, rank = dist.get_world_size(), dist.get_rank()
    return DistContext(rank=rank, world_size=world, local_rank=local_rank, device=device)


def all_reduce_max(value: float, ctx: DistContext) -> float:
    """The maximum of ``value`` over all ranks (identity in a single process)."""
    if not ctx.distributed:
        return value
    t = torch.tensor([float(value)], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return float(t.item())


def all_reduce_mean(values: dict[str, float], ctx: DistContext) -> dict[str, float]:
    """Per-key mean of scalar logs over all ranks (same keys on every rank)."""
    if not ctx.distributed or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return {k: float(v) / ctx.world_size for k, v in zip(keys, t.tolist(), strict=True)}


def gather_objects(obj: Any, ctx: DistContext) -> list[Any]:
    """``[obj from rank 0, obj from rank 1, ...]`` on every rank (``[obj]`` in a single process)."""
    if not ctx.distributed:
        return [obj]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the module itself)."""
    return module.module if isinstance(module, torch.nn.parallel.DistributedDataParallel) else module


def wrap_ddp(module: torch.nn.Module, ctx: DistContext) -> torch.nn.Module:
    """Wrap in DistributedDataParallel when running distributed (device_ids only on CUDA)."""
    if not ctx.distributed:
        return module
    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)
