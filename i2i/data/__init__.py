"""Datasets, paired transforms and the named-dataset catalog.

``catalog``, ``fetch``, ``resolve`` and ``transforms`` never import torch (``i2i data list`` starts fast);
the torch datasets in :mod:`i2i.data.datasets` load on first use of their names from this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from i2i.data.datasets import AlignedDataset, PairedFolderDataset, UnalignedDataset

__all__ = ["AlignedDataset", "PairedFolderDataset", "UnalignedDataset"]

_LAZY = {"AlignedDataset", "PairedFolderDataset", "UnalignedDataset"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from i2i.data import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module 'i2i.data' has no attribute {name!r}")
