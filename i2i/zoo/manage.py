"""Registering models: user models (``i2i models add``) and shipped ones (``i2i models ship``); torch-free.

Checkpoints are exported to ONNX first by :mod:`i2i.export.importer` (that side needs torch); everything
here works on i2i ONNX exports, whose header supplies task, architecture, direction, domains and size
multiple.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from i2i.errors import I2IError
from i2i.files import atomic_write_text
from i2i.modelfile import ModelInfo, read_model_info
from i2i.tasks import find, task_names
from i2i.zoo.entry import ModelEntry, Provenance, check_name, parse_entry
from i2i.zoo.paths import (
    samples_dir,
    shipped_registry_path,
    user_models_dir,
    user_registry_path,
    weights_dir,
)
from i2i.zoo.runs import check_model_runs
from i2i.zoo.store import SCHEMA_VERSION, USER_FORMAT, load_shipped, load_user, parse_shipped
from i2i.zoo.toml_write import entry_toml
from i2i.zoo.verify import sha256_file

REGISTRY_HEADER = "schema_version = 1\n"


def _place(src: Path, dest: Path, move: bool) -> None:
    """Copy (or move) ``src`` to ``dest`` atomically; nothing to do when they are the same file."""
    if dest.exists() and src.resolve() == dest.resolve():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    if move:
        os.replace(src, dest) if src.parent.resolve() == dest.parent.resolve() else shutil.move(src, dest)
        return
    tmp = dest.parent / f".{dest.name}.copy.tmp"
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _runnable_info(path: Path) -> ModelInfo:
    """The header of the i2i export at ``path``, once one tiny image has run through it (else I2IError)."""
    info = read_model_info(path)
    check_model_runs(path, info)
    return info


def provenance_from_info(info: ModelInfo, **overrides: Any) -> Provenance:
    """Provenance read off an export's header (dataset, recipe, steps, date), then ``overrides``."""
    recipe = info.header.get("recipe") or {}
    steps = recipe.get("step", recipe.get("steps"))
    created = str(info.header.get("created") or "")[:10] or None
    base = {
        "dataset": recipe.get("data_name"),
        "recipe": info.task if find(info.task) else None,
        "steps": steps if isinstance(steps, int) and not isinstance(steps, bool) else None,
        "date": created,
    }
    base.update({k: v for k, v in overrides.items() if v is not None})
    return Provenance(**base)


def build_entry(
    name: str,
    info: ModelInfo,
    *,
    file: str,
    sha256: str,
    origin: str,
    base: Path,
    licence: str,
    provenance: Provenance,
    task: str | None = None,
    direction: str | None = None,
    domains: tuple[str, str] | None = None,
    pair: str | None = None,
    description: str = "",
    samples: str | None = None,
    checkpoint: str | None = None,
    quality: dict[str, Any] | None = None,
    source: str = "registry",
) -> ModelEntry:
    """A validated entry for an export described by ``info`` (explicit arguments override its header)."""
    task = task or info.task
    if find(task) is None:
        raise I2IError(f"{name}: the model's header says task {task!r}; pass --task {'|'.join(task_names())}")
    if direction and info.direction and direction != info.direction:
        raise I2IError(f"{name}: the model itself translates {info.direction}, not {direction}")
    data: dict[str, Any] = {
        "file": file,
        "sha256": sha256,
        "task": task,
        "arch": info.arch,
        "arch_kwargs": dict(info.header.get("arch", {}).get("kwargs", {})),
        "size_multiple": info.size_multiple,
        "licence": licence,
        "precision": info.precision,
        "direction": direction or info.direction,
        "domains": list(domains or info.domains) if (domains or info.domains) else None,
        "pair": pair,
        "description": description or None,
        "samples": samples,
        "checkpoint": checkpoint,
        "provenance": provenance.to_dict(),
        "quality": quality or None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return parse_entry(name, data, origin=origin, base=base, source=source)


# ------------------------------------------------------------------------------------------------ user


def _write_user(entries: dict[str, ModelEntry]) -> None:
    doc = {
        "format": USER_FORMAT,
        "version": SCHEMA_VERSION,
        "models": {name: entry.to_dict() for name, entry in entries.items()},
    }
    atomic_write_text(user_registry_path(), json.dumps(doc, indent=2) + "\n")


def check_user_name(name: str, replace: bool = False) -> None:
    """Refuse invalid names, shipped names, and (without ``replace``) existing user names."""
    check_name(name)
    if name in load_shipped():
        raise I2IError(f"{name!r} is a shipped model's name; choose another name for your model")
    if not replace and name in load_user():
        raise I2IError(f"a user model called {name!r} exists (`i2i models remove {name}` or --replace)")


def add_user_onnx(
    name: str,
    onnx_path: Path,
    *,
    move: bool = False,
    replace: bool = False,
    licence: str = "unspecified",
    checkpoint: Path | None = None,
    provenance: dict[str, Any] | None = None,
    **fields: Any,
) -> ModelEntry:
    """Copy (``move``: move) an i2i export into the user models folder as ``NAME.onnx`` and register it.

    ``checkpoint``: an i2i checkpoint already in the user folder to record beside it. ``fields``: task,
    direction, domains, pair, description (override the export's header). Returns the new entry.

    Raises:
        I2IError: a bad name, a file that is not an i2i export, or one that does not run (one tiny image
            through onnxruntime, :func:`~i2i.zoo.runs.check_model_runs`); nothing is copied or registered.
    """
    check_user_name(name, replace)
    onnx_path = Path(onnx_path)
    info = _runnable_info(onnx_path)
    folder = user_models_dir()
    dest = folder / f"{name}.onnx"
    prov = provenance_from_info(info, **{"source": str(onnx_path.resolve()), **(provenance or {})})

    def entry_with(sha256: str) -> ModelEntry:
        return build_entry(
            name,
            info,
            file=dest.name,
            sha256=sha256,
            origin="user",
            base=folder,
            licence=licence,
            provenance=prov,
            checkpoint=checkpoint.name if checkpoint else None,
            source=str(user_registry_path()),
            **fields,
        )

    entry_with("0" * 64)  # validate before touching the folder
    _place(onnx_path, dest, move)
    entry = entry_with(sha256_file(dest))
    entries = load_user()
    entries[name] = entry
    _write_user(entries)
    return entry


def remove_user(name: str) -> ModelEntry:
    """Unregister a user model and delete its files from the user models folder."""
    entries = load_user()
    if name not in entries:
        raise I2IError(f"no user model called {name!r} (shipped models cannot be removed)")
    entry = entries.pop(name)
    _write_user(entries)
    for path in (entry.path, entry.checkpoint_path):
        if path is not None:
            path.unlink(missing_ok=True)
    return entry


# --------------------------------------------------------------------------------------------- shipped


def ship_onnx(
    name: str,
    onnx_path: Path,
    *,
    licence: str,
    provenance: dict[str, Any],
    quality: dict[str, Any] | None = None,
    **fields: Any,
) -> ModelEntry:
    """Put an export into the shipped weights folder as ``NAME.onnx`` and append its registry entry.

    ``provenance`` must complete what the header supplies to all of
    :data:`~i2i.zoo.entry.SHIPPED_PROVENANCE`. The new registry text is parsed and validated as a whole
    before anything is copied or written.
    """
    check_name(name)
    samples = fields.get("samples")
    if samples is not None and not (samples_dir() / samples).is_dir():
        raise I2IError(f"--samples {samples!r}: no bundled sample folder {samples_dir() / samples}")
    registry = shipped_registry_path()
    existing = load_shipped(registry)
    if name in existing:
        raise I2IError(f"{registry}: already has a model called {name!r}")
    onnx_path = Path(onnx_path)
    info = _runnable_info(onnx_path)
    folder = weights_dir()
    dest = folder / f"{name}.onnx"
    prov = provenance_from_info(info, **provenance)
    entry = build_entry(
        name,
        info,
        file=dest.name,
        sha256=sha256_file(onnx_path),
        origin="shipped",
        base=folder,
        licence=licence,
        provenance=prov,
        quality=quality,
        source=str(registry),
        **fields,
    )
    text = registry.read_text(encoding="utf-8") if registry.is_file() else REGISTRY_HEADER
    new_text = text.rstrip("\n") + "\n\n" + entry_toml(entry)
    parse_shipped(tomllib.loads(new_text), registry)  # the result must validate as a whole
    if dest.exists() and dest.resolve() != onnx_path.resolve():
        raise I2IError(f"{dest}: exists and is not the given file; remove it or pick another name")
    _place(onnx_path, dest, move=False)
    atomic_write_text(registry, new_text)
    return entry


def today() -> str:
    return datetime.now(UTC).date().isoformat()
