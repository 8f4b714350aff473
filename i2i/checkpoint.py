"""Self-describing checkpoints: one file holds the weights and everything needed to rebuild the network.

File layout (``torch.save`` of a plain dict, read back with ``weights_only=True`` so loading never runs
pickled code)::

    {"format": "i2i.checkpoint", "format_version": 1, "header": "<JSON text>", "state_dict": {...}}

The header (:class:`ModelHeader`) names the architecture and its kwargs, the IO spec (channels, value
range, size multiple), the task, direction and domain names, the training recipe, and the i2i version.
The same header is copied into an exported ONNX file's ``metadata_props``.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.files import atomic_output
from i2i.specs import ArchSpec, IOSpec
from i2i.version import __version__

FORMAT = "i2i.checkpoint"
FORMAT_VERSION = 1
_IMPORT_HINT = "i2i models import PTH --arch ARCH --name NAME"
ROLES = ("generator", "discriminator")


@dataclass(frozen=True)
class ModelHeader:
    """What a saved network is and how to use it.

    ``task``: a task of the registry (:mod:`i2i.tasks`: pix2pix, cyclegan, cut, fast_style) or
    ``imported``. ``direction``: AtoB | BtoA (for translators).
    ``name``: a short human name such as ``apple2orange``. ``domains``: (source, target) domain names.
    ``recipe``: the training configuration as plain JSON values.
    """

    arch: ArchSpec
    io: IOSpec
    role: str = "generator"
    task: str = "unknown"
    direction: str | None = None
    name: str | None = None
    domains: tuple[str, str] | None = None
    recipe: dict[str, Any] = field(default_factory=dict)
    i2i_version: str = __version__
    format_version: int = FORMAT_VERSION
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "arch": self.arch.to_dict(),
            "io": self.io.to_dict(),
            "role": self.role,
            "task": self.task,
            "direction": self.direction,
            "name": self.name,
            "domains": list(self.domains) if self.domains else None,
            "recipe": self.recipe,
            "i2i_version": self.i2i_version,
            "format_version": self.format_version,
            "created": self.created,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelHeader:
        domains = data.get("domains")
        return cls(
            arch=ArchSpec.from_dict(data["arch"]),
            io=IOSpec.from_dict(data["io"]),
            role=data.get("role", "generator"),
            task=data.get("task", "unknown"),
            direction=data.get("direction"),
            name=data.get("name"),
            domains=(str(domains[0]), str(domains[1])) if domains else None,
            recipe=dict(data.get("recipe") or {}),
            i2i_version=data.get("i2i_version", "unknown"),
            format_version=int(data.get("format_version", FORMAT_VERSION)),
            created=data.get("created", ""),
        )


def make_header(arch: ArchSpec, module: nn.Module, **fields: Any) -> ModelHeader:
    """A header for ``module`` built as ``arch``: the IO spec is read off the module itself."""
    from i2i.nn import size_multiple

    io = IOSpec(
        in_channels=int(arch.kwargs.get("in_channels", 3)),
        out_channels=int(
            arch.kwargs.get("out_channels", 3 if fields.get("role", "generator") == "generator" else 1)
        ),
        size_multiple=size_multiple(module),
    )
    return ModelHeader(arch=arch, io=io, **fields)


def build_module(header: ModelHeader) -> nn.Module:
    """An (untrained) CPU module for ``header``'s architecture."""
    from i2i.nn import build_discriminator, build_generator

    if header.role not in ROLES:
        raise I2IError(f"unknown role {header.role!r} in checkpoint header; valid: {', '.join(ROLES)}")
    build = build_generator if header.role == "generator" else build_discriminator
    return build(header.arch.name, **header.arch.kwargs)


def save(path: str | Path, module: nn.Module, header: ModelHeader) -> Path:
    """Write ``module``'s weights (moved to CPU) and ``header`` to ``path`` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").clone() for k, v in module.state_dict().items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "header": replace(header, format_version=FORMAT_VERSION).to_json(),
        "state_dict": state,
    }
    with atomic_output(path) as fh:
        torch.save(payload, fh)
    return path


def load_weights_only(path: Path, what: str) -> Any:
    """``torch.load`` of ``path`` (on the CPU) that builds tensors and plain containers only, never other
    pickled objects, so a hostile file cannot run code; ``what`` names the expected kind in messages.

    Raises:
        I2IError: one line with the reason and the fix: the file holds pickled Python objects (refused,
            not run), or it is truncated, corrupt or of another format.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # the weights-only unpickler met a Python object it will not build
        raise I2IError(
            f"{path}: refused: it holds pickled Python objects besides tensors, and loading those could run "
            f"code (i2i loads weights only); save it again as an i2i checkpoint from the code that made it, "
            f"or import a reference generator's state_dict with `{_IMPORT_HINT}`"
        ) from None
    except Exception as err:  # torch raises many types for truncated or foreign files
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise I2IError(
            f"{path}: not a readable {what} (truncated, corrupt or another format: {reason})"
        ) from None


def _read_payload(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise I2IError(f"{path}: checkpoint not found")
    payload = load_weights_only(path, "i2i checkpoint")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise I2IError(
            f"{path}: not an i2i checkpoint (no '{FORMAT}' marker); a reference generator's state_dict "
            f"imports with `{_IMPORT_HINT}`"
        )
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise I2IError(
            f"{path}: checkpoint format version {version} is newer than this i2i supports "
            f"({FORMAT_VERSION}); upgrade i2i"
        )
    return payload


def read_header(path: str | Path) -> ModelHeader:
    """The header of the checkpoint at ``path`` (validates the file)."""
    payload = _read_payload(Path(path))
    try:
        return ModelHeader.from_dict(json.loads(payload["header"]))
    except (KeyError, TypeError, ValueError) as err:
        raise I2IError(f"{path}: checkpoint header is malformed ({err})") from None


@dataclass(frozen=True)
class LoadedModel:
    """A rebuilt network (CPU, eval mode) and its header."""

    module: nn.Module
    header: ModelHeader


def load(path: str | Path) -> LoadedModel:
    """Rebuild the network saved at ``path`` with no other input; returns it on CPU in eval mode."""
    path = Path(path)
    payload = _read_payload(path)
    header = read_header(path)
    module = build_module(header)
    try:
        module.load_state_dict(payload["state_dict"], strict=True)
    except (RuntimeError, KeyError) as err:
        first = str(err).splitlines()[0]
        raise I2IError(f"{path}: weights do not fit architecture {header.arch.name!r}: {first}") from None
    return LoadedModel(module=module.eval(), header=header)
