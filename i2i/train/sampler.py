"""Deterministic, resumable, rank-aware batching.

The order of examples in epoch ``e`` is a permutation drawn from a torch generator seeded with
``(seed, e)`` only, so it is the same in an interrupted-and-resumed run; :meth:`EpochBatchSampler.set_epoch`
can start part-way through an epoch without loading the skipped examples. Under DDP each rank takes every
``world_size``-th example of the permutation, truncated so all ranks run the same number of batches
(the few examples left over change every epoch, as the permutation does).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochBatchSampler(Sampler[list[int]]):
    """Batches of dataset indices for one rank.

    Args:
        length: number of examples in the dataset.
        batch_size: examples per batch on this rank (the last batch of an epoch may be smaller).
        seed: base seed of the shuffle; ``shuffle=False`` keeps dataset order.
        rank, world_size: this process's slice of every epoch.
    """

    def __init__(
        self,
        length: int,
        batch_size: int,
        seed: int,
        *,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if length < world_size:
            raise ValueError(f"{length} examples cannot be split over {world_size} processes")
        self.length = length
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0
        self.start_batch = 0

    @property
    def per_rank(self) -> int:
        return self.length // self.world_size

    def __len__(self) -> int:
        """Batches per epoch (the same on every rank)."""
        return math.ceil(self.per_rank / self.batch_size)

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Select the epoch and the first batch to yield (``start_batch > 0`` when resuming mid-epoch)."""
        self.epoch = int(epoch)
        self.start_batch = int(start_batch)

    def order(self, epoch: int) -> list[int]:
        """This rank's example indices for ``epoch``, in order."""
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            perm = torch.randperm(self.length, generator=g).tolist()
        else:
            perm = list(range(self.length))
        return perm[self.rank :: self.world_size][: self.per_rank]

    def __iter__(self) -> Iterator[list[int]]:
        indices = self.order(self.epoch)
        for b in range(self.start_batch, len(self)):
            yield indices[b * self.batch_size : (b + 1) * self.batch_size]
