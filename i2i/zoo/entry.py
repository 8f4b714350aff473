"""One named model's registry entry, its schema and its validation (torch-free).

The same schema serves the shipped registry (``weights/registry.toml``, ``[models.NAME]`` tables) and the
per-user registry (``models.json``). Shipped entries must also state their full provenance
(:data:`SHIPPED_PROVENANCE`). Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from i2i.errors import I2IError
from i2i.tasks import DIRECTIONS, find, task_names

PRECISIONS = ("fp32", "fp16")
ORIGINS = ("shipped", "user")
#: Model names: letters, digits, ``_`` and ``-`` (no dots or slashes: those make a name look like a path).
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")

PROVENANCE_KEYS = ("dataset", "recipe", "command", "steps", "hardware", "date", "source", "notes")
#: Provenance every shipped model must state (so anyone can retrain it).
SHIPPED_PROVENANCE = ("dataset", "recipe", "command", "steps", "hardware", "date")
REQUIRED_KEYS = ("file", "sha256", "task", "arch", "size_multiple", "licence")
OPTIONAL_KEYS = (
    "arch_kwargs",
    "direction",
    "domains",
    "pair",
    "precision",
    "description",
    "samples",
    "checkpoint",
    "provenance",
    "quality",
    "int8",
)
#: Keys of a model's ``int8`` table (:class:`Int8Pin`): the IR file beside the ONNX file and the sha256 of
#: its ``.xml`` and ``.bin``.
INT8_KEYS = ("file", "sha256", "bin_sha256")
INT8_SUFFIX = ".int8.xml"


@dataclass(frozen=True)
class Provenance:
    """Where a model came from. ``command``: the exact training command; ``steps``: optimiser steps;
    ``source``: URL or file it was imported from (imported/user models)."""

    dataset: str | None = None
    recipe: str | None = None
    command: str | None = None
    steps: int | None = None
    hardware: str | None = None
    date: str | None = None
    source: str | None = None
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in PROVENANCE_KEYS if getattr(self, k) is not None}


@dataclass(frozen=True)
class Int8Pin:
    """A model's int8 OpenVINO IR (``i2i export --int8``), pinned like its ONNX file: ``file``
    (``<onnx stem>.int8.xml``, beside the ONNX file) and the sha256 of it and of its ``.bin``. The runtime
    (:mod:`i2i.runtime.int8`) checks both before it reads the file."""

    file: str
    sha256: str
    bin_sha256: str

    @property
    def bin_file(self) -> str:
        return self.file[: -len(".xml")] + ".bin"

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "sha256": self.sha256, "bin_sha256": self.bin_sha256}


@dataclass(frozen=True)
class ModelEntry:
    """A named model.

    ``file`` is relative to ``base`` (the weights folder for shipped models, the user models folder for user
    models) and is an i2i ONNX export: float32 (N, 3, H, W) in [0, 1] -> (N, 3, H, W) in [0, 1], H and W
    multiples of ``size_multiple``. ``direction`` AtoB | BtoA; ``domains`` (source, target);
    entries that share ``pair`` are the two directions of one translation (``--direction`` picks one).
    ``samples`` names a bundled sample folder (``i2i/assets/samples/<samples>``) the model is meant for.
    """

    name: str
    file: str
    sha256: str
    task: str
    arch: str
    size_multiple: int
    licence: str
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    direction: str | None = None
    domains: tuple[str, str] | None = None
    pair: str | None = None
    precision: str = "fp32"
    description: str = ""
    samples: str | None = None
    checkpoint: str | None = None
    provenance: Provenance = field(default_factory=Provenance)
    quality: dict[str, float | int | str] = field(default_factory=dict)
    int8: Int8Pin | None = None
    origin: str = "user"
    base: Path = field(default=Path("."), compare=False)

    @property
    def path(self) -> Path:
        """The ONNX file."""
        return self.base / self.file

    @property
    def int8_path(self) -> Path | None:
        """The pinned int8 IR file (``.xml``; its ``.bin`` beside it), or None."""
        return self.base / self.int8.file if self.int8 else None

    @property
    def checkpoint_path(self) -> Path | None:
        return self.base / self.checkpoint if self.checkpoint else None

    def to_dict(self) -> dict[str, Any]:
        """The stored form (what the registry files hold), without ``name``, ``origin`` and ``base``."""
        out: dict[str, Any] = {
            "file": self.file,
            "sha256": self.sha256,
            "task": self.task,
            "arch": self.arch,
            "arch_kwargs": dict(self.arch_kwargs),
            "size_multiple": self.size_multiple,
            "licence": self.licence,
            "precision": self.precision,
        }
        optional = {
            "direction": self.direction,
            "domains": list(self.domains) if self.domains else None,
            "pair": self.pair,
            "description": self.description or None,
            "samples": self.samples,
            "checkpoint": self.checkpoint,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        prov = self.provenance.to_dict()
        if prov:
            out["provenance"] = prov
        if self.quality:
            out["quality"] = dict(self.quality)
        if self.int8 is not None:
            out["int8"] = self.int8.to_dict()
        return out


def check_name(name: str) -> str:
    """``name`` if it is a valid model name, else I2IError."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise I2IError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '_' or '-' "
            "(starting with a letter or digit)"
        )
    return name


def _str(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise I2IError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return value


def _opt_str(where: str, key: str, value: Any) -> str | None:
    return None if value is None else _str(where, key, value)


def _relative_file(where: str, key: str, value: Any) -> str:
    text = _str(where, key, value)
    pure = PurePosixPath(text)
    if pure.is_absolute() or ".." in pure.parts or "\\" in text:
        raise I2IError(f"{where}: '{key}' must be a relative path inside its folder, got {text!r}")
    return text


def _provenance(where: str, data: Any, shipped: bool) -> Provenance:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise I2IError(f"{where}: 'provenance' must be a table")
    unknown = sorted(set(data) - set(PROVENANCE_KEYS))
    if unknown:
        raise I2IError(f"{where}: unknown provenance key(s) {', '.join(unknown)}; valid: {PROVENANCE_KEYS}")
    if shipped:
        missing = [k for k in SHIPPED_PROVENANCE if data.get(k) in (None, "")]
        if missing:
            raise I2IError(f"{where}: shipped models must state provenance {', '.join(missing)}")
    steps = data.get("steps")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        raise I2IError(f"{where}: provenance 'steps' must be a non-negative integer, got {steps!r}")
    if data.get("date") is not None and not isinstance(data["date"], str):
        data = {**data, "date": str(data["date"])}  # TOML dates arrive as datetime.date
    texts = {k: _opt_str(where, f"provenance.{k}", data.get(k)) for k in PROVENANCE_KEYS if k != "steps"}
    return Provenance(steps=steps, **texts)


def _quality(where: str, data: Any) -> dict[str, float | int | str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise I2IError(f"{where}: 'quality' must be a table of metric = number or string")
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise I2IError(f"{where}: quality '{key}' must be a number or string, got {value!r}")
    return dict(data)


def _int8(where: str, data: Any, onnx_file: str) -> Int8Pin | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise I2IError(f"{where}: 'int8' must be a table ({', '.join(INT8_KEYS)})")
    unknown = sorted(set(data) - set(INT8_KEYS))
    missing = [k for k in INT8_KEYS if k not in data]
    if unknown or missing:
        problem = f"unknown key(s) {', '.join(unknown)}" if unknown else f"missing {', '.join(missing)}"
        raise I2IError(f"{where}: 'int8' {problem}; keys: {', '.join(INT8_KEYS)}")
    file = _relative_file(where, "int8.file", data["file"])
    expected = str(PurePosixPath(onnx_file).with_suffix("")) + INT8_SUFFIX
    if file != expected:
        raise I2IError(f"{where}: 'int8.file' must be {expected!r} (beside the ONNX file), got {file!r}")
    for key in ("sha256", "bin_sha256"):
        if not isinstance(data[key], str) or not _SHA_RE.fullmatch(data[key]):
            raise I2IError(f"{where}: 'int8.{key}' must be 64 lower-case hex digits")
    return Int8Pin(file=file, sha256=data["sha256"], bin_sha256=data["bin_sha256"])


def parse_entry(name: str, data: Any, *, origin: str, base: Path, source: str) -> ModelEntry:
    """Validate one stored entry. ``source`` names the registry file for messages.

    Raises:
        I2IError: naming the file, the entry and the first problem found.
    """
    where = f"{source}: model {name!r}"
    check_name(name)
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}")
    if not isinstance(data, dict):
        raise I2IError(f"{where}: must be a table")
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise I2IError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise I2IError(f"{where}: missing key(s) {', '.join(missing)}")
    sha = _str(where, "sha256", data["sha256"])
    if not _SHA_RE.fullmatch(sha):
        raise I2IError(f"{where}: 'sha256' must be 64 lower-case hex digits")
    task = _str(where, "task", data["task"])
    if find(task) is None:
        raise I2IError(f"{where}: task {task!r} is not one of {', '.join(task_names())}")
    multiple = data["size_multiple"]
    if isinstance(multiple, bool) or not isinstance(multiple, int) or multiple < 1:
        raise I2IError(f"{where}: 'size_multiple' must be a positive integer, got {multiple!r}")
    direction = data.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise I2IError(f"{where}: direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    domains = data.get("domains")
    if domains is not None and (
        not isinstance(domains, list)
        or len(domains) != 2
        or not all(isinstance(d, str) and d for d in domains)
    ):
        raise I2IError(f"{where}: 'domains' must be two names [source, target], got {domains!r}")
    pair = _opt_str(where, "pair", data.get("pair"))
    if pair is not None and direction is None:
        raise I2IError(f"{where}: a model with a 'pair' must state its 'direction'")
    precision = data.get("precision", "fp32")
    if precision not in PRECISIONS:
        raise I2IError(f"{where}: precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    kwargs = data.get("arch_kwargs", {})
    if not isinstance(kwargs, dict):
        raise I2IError(f"{where}: 'arch_kwargs' must be a table")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise I2IError(f"{where}: 'description' must be a string")
    samples = _opt_str(where, "samples", data.get("samples"))
    if samples is not None and not NAME_RE.fullmatch(samples):
        raise I2IError(f"{where}: 'samples' must name a folder under i2i/assets/samples, got {samples!r}")
    checkpoint = data.get("checkpoint")
    file = _relative_file(where, "file", data["file"])
    return ModelEntry(
        name=name,
        file=file,
        sha256=sha,
        task=task,
        arch=_str(where, "arch", data["arch"]),
        size_multiple=multiple,
        licence=_str(where, "licence", data["licence"]),
        arch_kwargs=dict(kwargs),
        direction=direction,
        domains=(domains[0], domains[1]) if domains else None,
        pair=pair,
        precision=precision,
        description=description,
        samples=samples,
        checkpoint=None if checkpoint is None else _relative_file(where, "checkpoint", checkpoint),
        provenance=_provenance(where, data.get("provenance"), shipped=origin == "shipped"),
        quality=_quality(where, data.get("quality")),
        int8=_int8(where, data.get("int8"), file),
        origin=origin,
        base=base,
    )


def check_pairs(entries: dict[str, ModelEntry], source: str) -> None:
    """Entries sharing a ``pair`` must share a task and have distinct directions."""
    seen: dict[tuple[str, str], str] = {}
    tasks: dict[str, str] = {}
    for entry in entries.values():
        if entry.pair is None:
            continue
        assert entry.direction is not None  # parse_entry guarantees it
        key = (entry.pair, entry.direction)
        if key in seen:
            raise I2IError(
                f"{source}: models {seen[key]!r} and {entry.name!r} are both pair {entry.pair!r} "
                f"{entry.direction}"
            )
        seen[key] = entry.name
        if tasks.setdefault(entry.pair, entry.task) != entry.task:
            raise I2IError(f"{source}: pair {entry.pair!r} mixes tasks {tasks[entry.pair]} and {entry.task}")
