"""Reading the two registries and resolving a name (+ direction) to a verified ONNX file (torch-free).

* shipped: ``weights/registry.toml`` (``schema_version = 1`` and one ``[models.NAME]`` table per model);
  a missing file means no shipped models (a wheel install).
* user: ``models.json`` in the user models folder, written by ``i2i models add|import|fetch-official``.

Names are unique across both: adding a user model under a shipped name is refused. Should a later i2i ship
a name a user already has, the shipped model wins and ``i2i models list`` flags the user entry as shadowed.
"""

from __future__ import annotations

import contextlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from i2i.errors import I2IError
from i2i.zoo.entry import ModelEntry, check_pairs, parse_entry
from i2i.zoo.paths import shipped_registry_path, user_models_dir, user_registry_path
from i2i.zoo.verify import verify_file

SCHEMA_VERSION = 1
USER_FORMAT = "i2i.user-models"


def load_shipped(path: Path | None = None) -> dict[str, ModelEntry]:
    """Entries of the shipped registry at ``path`` (default: :func:`shipped_registry_path`), in file order.

    Raises:
        I2IError: unreadable TOML, a newer schema, or an invalid entry.
    """
    path = path or shipped_registry_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise I2IError(f"{path}: not a readable registry ({err})") from None
    return parse_shipped(data, path)


def parse_shipped(data: dict, path: Path) -> dict[str, ModelEntry]:
    """Validate a parsed ``registry.toml`` document; entries' files are relative to ``path.parent``."""
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise I2IError(f"{path}: schema_version must be {SCHEMA_VERSION}, got {version!r}")
    unknown = sorted(set(data) - {"schema_version", "models"})
    if unknown:
        raise I2IError(f"{path}: unknown top-level key(s) {', '.join(unknown)}")
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise I2IError(f"{path}: 'models' must be a table of [models.NAME] tables")
    return parse_models(models, "shipped", path)


def load_user(path: Path | None = None) -> dict[str, ModelEntry]:
    """Entries of the per-user registry (empty when it does not exist yet)."""
    path = path or user_registry_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise I2IError(f"{path}: not a readable user model registry ({err})") from None
    if not isinstance(data, dict) or data.get("format") != USER_FORMAT:
        raise I2IError(f"{path}: not an i2i user model registry (no '{USER_FORMAT}' marker)")
    if data.get("version") != SCHEMA_VERSION:
        raise I2IError(f"{path}: user registry version {data.get('version')!r} is not {SCHEMA_VERSION}")
    models = data.get("models")
    if not isinstance(models, dict):
        raise I2IError(f"{path}: 'models' must be an object")
    return parse_models(models, "user", path)


def parse_models(models: dict, origin: str, path: Path) -> dict[str, ModelEntry]:
    """Validate the ``{name: entry}`` tables of the registry file ``path`` (entries' files are relative to
    its folder), and the pairs they form."""
    entries = {
        name: parse_entry(name, body, origin=origin, base=path.parent, source=str(path))
        for name, body in models.items()
    }
    check_pairs(entries, str(path))
    return entries


@dataclass(frozen=True)
class Zoo:
    """Both registries. ``shipped`` wins on a name clash (see the module docstring)."""

    shipped: dict[str, ModelEntry]
    user: dict[str, ModelEntry]

    def names(self) -> list[str]:
        return [*self.shipped, *(n for n in self.user if n not in self.shipped)]

    def shadowed(self) -> list[str]:
        """User names hidden by a shipped model of the same name."""
        return [n for n in self.user if n in self.shipped]

    def entries(self) -> list[ModelEntry]:
        return [*self.shipped.values(), *(e for n, e in self.user.items() if n not in self.shipped)]

    def get(self, name: str) -> ModelEntry:
        """The entry called ``name``; I2IError listing the known names otherwise."""
        if name in self.shipped:
            return self.shipped[name]
        if name in self.user:
            return self.user[name]
        known = self.names()
        if not known:
            raise I2IError(
                f"unknown model {name!r}: no named models are installed (shipped registry: "
                f"{shipped_registry_path()}; user models: {user_models_dir()}); pass an .onnx file or "
                "register one with `i2i models add`"
            )
        raise I2IError(f"unknown model {name!r}; known: {', '.join(known)} (see `i2i models list`)")

    def with_direction(self, entry: ModelEntry, direction: str | None) -> ModelEntry:
        """``entry`` or its pair partner translating ``direction`` (None: ``entry`` itself)."""
        if direction is None or entry.direction is None or direction == entry.direction:
            return entry
        if direction not in ("AtoB", "BtoA"):
            raise I2IError(f"--direction must be AtoB or BtoA, got {direction!r}")
        if entry.pair is None:
            raise I2IError(
                f"model {entry.name!r} translates {entry.direction} only and has no {direction} partner"
            )
        pool = self.shipped if entry.origin == "shipped" else self.user
        for other in pool.values():
            if other.pair == entry.pair and other.direction == direction:
                return other
        raise I2IError(f"model {entry.name!r}: its pair {entry.pair!r} has no {direction} model registered")

    def resolve(self, name: str, direction: str | None = None) -> ModelEntry:
        """The entry for ``name`` and ``direction`` (not yet verified)."""
        return self.with_direction(self.get(name), direction)


def load_zoo() -> Zoo:
    return Zoo(shipped=load_shipped(), user=load_user())


def resolve_entry(name: str, direction: str | None = None) -> ModelEntry:
    """The registry entry ``name`` (``direction`` picks a pair partner) whose file passed its sha256 check."""
    entry = load_zoo().resolve(name, direction)
    verify_file(entry.path, entry.sha256, entry.name)
    return entry


def entry_for_file(path: Path) -> ModelEntry | None:
    """The registry entry (shipped first, then user) whose ONNX file is ``path``, or None. An unreadable
    user registry counts as empty here (resolving a name reports it)."""
    target = Path(path).resolve()
    entries = list(load_shipped().values())
    with contextlib.suppress(I2IError):
        entries += load_user().values()
    return next((e for e in entries if e.path.resolve() == target), None)


def resolve_path(name: str, direction: str | None = None) -> Path:
    """The verified ONNX file of the named model (see :func:`resolve_entry`)."""
    return resolve_entry(name, direction).path
