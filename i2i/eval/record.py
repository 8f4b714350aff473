"""The base of every score dataclass ``i2i eval`` reports (torch-free, imports nothing of i2i)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any


class ScoreRecord:
    """Mixed into a score dataclass: :meth:`to_dict` is the JSON object ``i2i eval ... --json`` prints."""

    def to_dict(self) -> dict[str, Any]:
        """The fields, nested records and all, as plain dicts and values."""
        return asdict(self)
