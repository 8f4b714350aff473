"""Explicit name -> builder registries.

A registry is a plain dict filled by decorators at import time of the module that defines the builders.
Names are never derived from module or class names, duplicates raise, and unknown names raise an
:class:`~i2i.errors.I2IError` that lists the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from i2i.errors import I2IError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to builder callables returning ``T``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._builders: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: register ``builder`` under ``name``; a second registration of a name raises."""

        def decorate(builder: Callable[..., T]) -> Callable[..., T]:
            if name in self._builders:
                raise ValueError(f"duplicate {self.kind} name {name!r}")
            self._builders[name] = builder
            return builder

        return decorate

    def get(self, name: str) -> Callable[..., T]:
        try:
            return self._builders[name]
        except KeyError:
            valid = ", ".join(sorted(self._builders))
            raise I2IError(f"unknown {self.kind} {name!r}; valid names: {valid}") from None

    def build(self, name: str, **kwargs: Any) -> T:
        """Build the object registered as ``name`` with keyword arguments ``kwargs``."""
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        return sorted(self._builders)

    def __contains__(self, name: object) -> bool:
        return name in self._builders
