"""Frozen architecture and IO specs (ArchSpec, IOSpec) shared by training, checkpoints, export and the
runtime.

Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class IOSpec:
    """How a generator's tensors look at its boundary.

    ``value_range`` is the range of the network's input and output tensors (generators use [-1, 1] and end
    in tanh). Input height and width must be multiples of ``size_multiple``.
    """

    in_channels: int = 3
    out_channels: int = 3
    value_range: tuple[float, float] = (-1.0, 1.0)
    size_multiple: int = 1

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["value_range"] = list(self.value_range)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IOSpec:
        return cls(
            in_channels=int(data["in_channels"]),
            out_channels=int(data["out_channels"]),
            value_range=(float(data["value_range"][0]), float(data["value_range"][1])),
            size_multiple=int(data["size_multiple"]),
        )


@dataclass(frozen=True)
class ArchSpec:
    """An architecture by registry name plus the keyword arguments its builder takes."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kwargs": dict(self.kwargs)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArchSpec:
        return cls(name=str(data["name"]), kwargs=dict(data.get("kwargs", {})))
