"""Append a model entry to ``weights/registry.toml`` (the few TOML shapes the schema uses; torch-free)."""

from __future__ import annotations

import json
import re
from typing import Any

from i2i.zoo.entry import ModelEntry

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """A TOML literal for str, int, float, bool, lists of those, or a dict (inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def entry_toml(entry: ModelEntry) -> str:
    """``[models.NAME]`` (+ ``.provenance`` / ``.quality`` sub-tables) for ``entry``."""
    data = entry.to_dict()
    tables = {k: data.pop(k) for k in ("provenance", "quality") if k in data}
    lines = [f"[models.{_key(entry.name)}]"]
    lines += [f"{_key(k)} = {toml_value(v)}" for k, v in data.items()]
    for table, body in tables.items():
        lines += ["", f"[models.{_key(entry.name)}.{table}]"]
        lines += [f"{_key(k)} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"
