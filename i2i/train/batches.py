"""Batches for training: the deterministic, resumable loader of a rank's share, and fixed sample batches."""

from __future__ import annotations

import os

import torch
from torch.utils.data import DataLoader, Dataset

from i2i.train.distributed import DistContext
from i2i.train.sampler import EpochBatchSampler


def default_workers() -> int:
    """Data-loader workers when ``--workers`` is not given: the CPU cores this process may use, less one for
    the training process itself, at most 4 (the pix2pix/CycleGAN authors' default). A 2-core machine gets
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
        len(dataset),  # type: ignore[arg-type]
        batch_size,
        seed,
        rank=ctx.rank,
        world_size=ctx.world_size,
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
