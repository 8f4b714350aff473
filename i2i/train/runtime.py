"""Where and how a training run executes: seeding, RNG snapshots, device choice, DDP, mixed precision.

Shared by every recipe. Nothing here knows about a particular model.

Distributed runs: launch with ``torchrun --nproc_per_node=K -m i2i.cli.main train pix2pix ...`` (or the
``i2i`` console script under torchrun). :func:`setup_distributed` reads ``RANK`` / ``WORLD_SIZE`` /
``LOCAL_RANK`` from the environment and initialises the process group with ``gloo`` on CPU and ``nccl`` on
CUDA. Only rank 0 writes files or prints progress (:attr:`DistContext.is_main`).
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.distributed as dist

from i2i.errors import I2IError

DeviceName = Literal["auto", "cpu", "cuda"]
AmpMode = Literal["auto", "none", "bf16", "fp16"]
AMP_MODES: tuple[str, ...] = ("auto", "none", "bf16", "fp16")


# --------------------------------------------------------------------------------------------- seeding
def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global RNG and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """A snapshot of every global RNG a training step may touch, as plain tensors/lists/ints.

    Storable with ``torch.save`` and loadable with ``torch.load(weights_only=True)``.
    """
    py = random.getstate()
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [np_state[0], torch.from_numpy(np.asarray(np_state[1]).astype(np.int64)), *np_state[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a snapshot taken by :func:`rng_state`."""
    py = state["python"]
    random.setstate((int(py[0]), tuple(int(v) for v in py[1]), py[2]))
    np_state = state["numpy"]
    np.random.set_state((np_state[0], np_state[1].numpy().astype(np.uint32), *np_state[2:]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# --------------------------------------------------------------------------------------------- device
def select_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when available else CPU; ``cuda`` fails with a clear error when there is none."""
    if name not in ("auto", "cpu", "cuda"):
        raise I2IError(f"unknown device {name!r}; valid: auto, cpu, cuda")
    if name == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if name == "cuda":
        raise I2IError("--device cuda was asked for but torch sees no CUDA device")
    return torch.device("cpu")


# --------------------------------------------------------------------------------------------- DDP
@dataclass(frozen=True)
class DistContext:
    """This process's place in a (possibly single-process) run."""

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


# --------------------------------------------------------------------------------------------- AMP
@dataclass(frozen=True)
class Precision:
    """Mixed precision and memory-format settings for one device.

    ``amp``: ``none`` (float32), ``bf16`` (autocast to bfloat16, no loss scaling) or ``fp16`` (autocast to
    float16 with a GradScaler per optimizer); ``auto`` is resolved here by :func:`i2i.amp.auto_mode` (bf16
    where the CPU or GPU has bf16 units, else none), so ``amp`` reads the resolved mode afterwards and
    ``auto`` records that it was not asked for by name. ``channels_last``: NHWC memory format for models
    and inputs, only when asked (``--channels-last``): in torch 2.14.1 on CPU the backward of instance and
    batch norm is wrong at batch 1 under it, which the run-start gradient check
    (:mod:`i2i.train.gradcheck`) catches.
    """

    device: torch.device
    amp: str = "none"
    channels_last: bool = False
    auto: bool = False

    def __post_init__(self) -> None:
        if self.amp not in AMP_MODES:
            raise I2IError(f"unknown amp mode {self.amp!r}; valid: {', '.join(AMP_MODES)}")
        if self.amp == "auto":
            from i2i.amp import auto_mode

            object.__setattr__(self, "amp", auto_mode(torch.device(self.device)))
            object.__setattr__(self, "auto", True)

    @property
    def reference(self) -> bool:
        """True for float32 in NCHW: the configuration the gradient check compares against."""
        return self.amp == "none" and not self.channels_last

    def describe(self) -> str:
        """The resolved precision in words: ``bf16 autocast, NCHW``, ``float32, channels_last``, ..."""
        words = {"none": "float32", "bf16": "bf16 autocast", "fp16": "fp16 autocast with loss scaling"}
        return f"{words[self.amp]}, {'channels_last' if self.channels_last else 'NCHW'}"

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.amp == "none":
            yield
            return
        dtype = torch.bfloat16 if self.amp == "bf16" else torch.float16
        with torch.autocast(device_type=self.device.type, dtype=dtype):
            yield

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A loss scaler, enabled only for fp16 (a disabled scaler passes values through)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp == "fp16")

    def prepare_model(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        return module.to(memory_format=torch.channels_last) if self.channels_last else module

    def prepare_input(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format
