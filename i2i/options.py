"""Command options as typed, frozen dataclasses: each option, its default and its help written once.

Every command that takes many options (``i2i train <recipe>``, ``i2i stylize``, ``i2i dream``) reads them
from a dataclass whose fields are declared with :func:`option`. The CLI turns each field into a
kebab-case flag with the field's help (:mod:`i2i.cli.options`), passes on only the options given, and the
dataclass fills in the rest; ``--help`` shows the dataclass defaults, and the resolved object is what a
run saves (``config.json`` of a training run, :func:`plain_values`). Enum fields are choices, checked by
the CLI and again when the dataclass is built from Python (:func:`coerce_enums`).

Torch-free, like everything the CLI reads before it knows it needs torch.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from i2i.errors import I2IError


def choices(name: str, doc: str, *values: str) -> Any:
    """A StrEnum class ``name`` with one member per value (named after it, ``-`` read as ``_``), owned by
    the calling module (so that pickle finds it there)."""
    module = sys._getframe(1).f_globals["__name__"]
    kind = StrEnum(name, [(v.replace("-", "_"), v) for v in values], module=module)  # type: ignore[misc]
    kind.__doc__ = doc
    return kind


#: ``--amp``: resolved per device by :func:`i2i.amp.auto_mode` (bf16 autocast where the CPU or GPU has
#: bf16 units, else float32) for training, stylize and dream alike.
Amp = choices("Amp", "Mixed precision (:class:`i2i.amp.Precision`); ``auto`` resolves per device "
              "(:func:`i2i.amp.auto_mode`: bf16 autocast in NCHW where the CPU or GPU has bf16 units, else "
              "float32).", "auto", "none", "bf16", "fp16")  # fmt: skip
#: Which side of a paired or unpaired dataset is the input (training, translate, eval).
Direction = choices("Direction", "Which side of a dataset is the input.", "AtoB", "BtoA")
#: The help of every ``--amp`` option (training words its own: it also checks gradients at run start).
AMP_HELP = (
    "Mixed precision: auto | none | bf16 | fp16. auto: bf16 autocast + channels_last on CPUs with "
    "AMX/AVX512-BF16 and CUDA GPUs with bf16, else none (float32)."
)
#: ``--device`` of the torch commands (:func:`i2i.amp.select_device`).
Device = choices("Device", "Where torch work runs (:func:`i2i.amp.select_device`).", "auto", "cpu", "cuda")


def option(
    default: Any = MISSING,
    help: str = "",
    *,
    cli: bool = True,
    hint: str | None = None,
    flags: tuple[str, ...] = (),
    show_default: bool = True,
) -> Any:
    """A dataclass field with CLI metadata.

    ``help``: its help text; ``cli=False`` keeps it off the command line; ``hint`` (a field without
    default): what to say when it is missing; ``flags``: extra spellings (``("-o",)``);
    ``show_default=False`` when the help states the default itself (a computed one).
    """
    metadata = {"help": help, "cli": cli, "hint": hint, "flags": flags, "show_default": show_default}
    if default is MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def require(config: object, names: tuple[str, ...], minimum: float) -> None:
    """I2IError naming the first of ``names`` whose value is below ``minimum`` (None passes)."""
    for name in names:
        value = getattr(config, name)
        if value is not None and value < minimum:
            raise I2IError(f"{name.replace('_', '-')} must be >= {minimum:g}, got {value}")


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """Resolved annotations of a config class's fields (``from __future__`` makes them strings)."""
    return typing.get_type_hints(cls)


def enum_of(annotation: Any) -> type[Enum] | None:
    """The Enum class in ``X`` or ``X | None``, else None."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate
    return None


def coerce_enums(config: object) -> None:
    """Turn plain strings given for a (frozen) dataclass's Enum fields into members, in place.

    Raises:
        I2IError: a value that is no member, naming the valid ones.
    """
    for f in fields(config):  # type: ignore[arg-type]
        kind = enum_of(field_types(type(config))[f.name])
        value = getattr(config, f.name)
        if kind is None or value is None or isinstance(value, kind):
            continue
        try:
            object.__setattr__(config, f.name, kind(value))
        except ValueError:
            valid = ", ".join(m.value for m in kind)
            label = f.name.replace("_", " ")
            raise I2IError(
                f"unknown --{f.name.replace('_', '-')} {value!r}; valid {label} values: {valid}"
            ) from None


def plain_values(config: object) -> dict[str, Any]:
    """A dataclass's fields as JSON-able values (enums as their strings, paths as strings)."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return plain_values(value)
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        return value

    return {f.name: plain(getattr(config, f.name)) for f in fields(config)}  # type: ignore[arg-type]
