"""Moved to :mod:`i2i.nn.registry` (the architecture registries live with the networks); this name stays
importable for existing callers."""

from i2i.nn.registry import Registry

__all__ = ["Registry"]
