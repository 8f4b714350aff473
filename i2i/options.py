"""Command options as typed, frozen dataclasses: each option, its default and its help written once.

Every command that takes options reads them from dataclasses whose fields are declared with
:func:`option`. :func:`parameters` turns each field into a kebab-case flag with the field's help, the
command passes on only the options given (:func:`given`), and the dataclass fills in the rest; ``--help``
shows the dataclass defaults, and the resolved object is what a run saves (``config.json`` of a training
run, :func:`plain_values`). Enum fields are choices, checked by the CLI and again when the dataclass is
built from Python (:func:`coerce_enums`); so are ``option(min=..., max=...)`` bounds (:func:`check_ranges`).

The field -> flag builder lives here, in the core, so that every command layer can use it: the CLI
(:mod:`i2i.cli`) and ``i2i serve``, which ``python -m i2i.serve`` runs without importing the CLI. Typer is
imported only when a command is built. Torch-free, like everything the CLI reads before it knows it needs
torch.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import sys
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, Field, fields
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

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
    flag: str | None = None,
    min: float | None = None,
    max: float | None = None,
    click: Mapping[str, Any] | None = None,
) -> Any:
    """A dataclass field with CLI metadata.

    ``help``: its help text; ``cli=False`` keeps it off the command line; ``hint`` (a field without
    default): what to say when it is missing; ``flags``: extra spellings (``("-o",)``);
    ``show_default=False`` when the help states the default itself (a computed one); ``flag``: the option's
    spelling when it is not the field's name in kebab case (``styles`` -> ``"--style"``); ``min``/``max``:
    bounds, checked by click and by :func:`check_ranges`; ``click``: more settings of the Typer option
    (``envvar``, ``metavar``, ``dir_okay``).
    """
    metadata = {
        "help": help, "cli": cli, "hint": hint, "flags": flags, "show_default": show_default, "flag": flag,
        "min": min, "max": max, "click": dict(click or {}),
    }  # fmt: skip
    if default is MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def require(config: object, names: tuple[str, ...], minimum: float) -> None:
    """I2IError naming the first of ``names`` whose value is below ``minimum`` (None passes)."""
    for name in names:
        value = getattr(config, name)
        if value is not None and value < minimum:
            raise I2IError(f"{name.replace('_', '-')} must be >= {minimum:g}, got {value}")


def check_ranges(config: object) -> None:
    """I2IError naming the first field whose value is outside its ``option(min=..., max=...)`` bounds
    (None passes): the check click makes on the command line, made again for Python callers."""
    for f in fields(config):  # type: ignore[arg-type]
        value, low, high = getattr(config, f.name), f.metadata.get("min"), f.metadata.get("max")
        if value is None:
            continue
        if low is not None and value < low:
            raise I2IError(f"{f.name.replace('_', '-')} must be >= {low:g}, got {value}")
        if high is not None and value > high:
            raise I2IError(f"{f.name.replace('_', '-')} must be <= {high:g}, got {value}")


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


# ------------------------------------------------------------------------- fields as command-line options
# A field ``octave_scale: float = option(1.4, "Size ratio between octaves.")`` becomes ``--octave-scale
# FLOAT`` with that help and ``[default: 1.4]``; a ``bool`` field a ``--x/--no-x`` pair; an Enum field a
# choice checked by click (a bad value exits 2 naming the valid ones); a ``tuple[str, ...]`` field a
# repeatable option. Fields spelled with capitals in the papers (``netG``) also answer to that spelling
# (``--netG``), and ``option(flags=...)`` adds short or older spellings. Every option defaults to None on
# the command line, so the command knows which ones were given (:func:`given`) and the dataclass supplies
# the rest: the default lives in one place.


def flag(name: str) -> str:
    """The kebab-case option of a field: ``netG`` -> ``--net-g``, ``lambda_A`` -> ``--lambda-a``."""
    return "--" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).replace("_", "-").lower()


def flags(f: Field[Any]) -> list[str]:
    """The option (``option(flag=...)`` or the field's name), the field's extra spellings, and, for names
    with capitals, the paper spelling."""
    main, paper = f.metadata.get("flag") or flag(f.name), "--" + f.name.replace("_", "-")
    return [main, *f.metadata.get("flags", ()), *([] if paper in (main, flag(f.name)) else [paper])]


def cli_fields(config_class: type) -> list[Field[Any]]:
    """The fields of ``config_class`` that are command-line options, in declaration order."""
    return [f for f in fields(config_class) if f.metadata.get("cli", True)]


def default_text(f: Field[Any]) -> str:
    """`` [default: X]`` for the help of a field with a default worth showing, else ""."""
    if f.default in (MISSING, None, ()) or not f.metadata.get("show_default", True):
        return ""
    value = f.default.value if isinstance(f.default, Enum) else f.default
    return f" [default: {value:g}]" if isinstance(value, float) else f" [default: {value}]"


def parameter(
    config_class: type, f: Field[Any], panel: str | None = None, *, required: bool = False
) -> inspect.Parameter:
    """The keyword parameter (default None: not given) that makes field ``f`` an option; with
    ``required``, a field without a default is a required option (click names it when missing)."""
    import typer
    from rich.markup import escape

    annotation = field_types(config_class)[f.name]
    kind = enum_of(annotation)
    base: Any = kind or next(t for t in (annotation, *typing.get_args(annotation)) if t is not type(None))
    if set(typing.get_args(base)) == {bool, type(None)}:  # bool | None: a flag pair, unset by default
        base = bool
    candidates = (annotation, *typing.get_args(annotation))
    sequence = next((t for t in candidates if typing.get_origin(t) in (tuple, list)), None)
    if sequence is not None:  # tuple[str, ...]: a repeatable option
        base = list[typing.get_args(sequence)[0]]  # type: ignore[misc]
    decls = flags(f)
    if base is bool:
        decls = [f"{decls[0]}/--no-{decls[0][2:]}", *decls[1:]]
    help_text = escape(f.metadata.get("help", "") + default_text(f))
    bounds = {k: f.metadata[k] for k in ("min", "max") if f.metadata.get(k) is not None}
    option = typer.Option(
        *decls,
        help=help_text,
        show_default=False,
        rich_help_panel=panel,
        **bounds,
        **f.metadata.get("click", {}),
    )
    if required and f.default is MISSING and f.default_factory is MISSING:
        return inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[base, option])
    return inspect.Parameter(
        f.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[base | None, option]
    )


def parameters(
    config_class: type, panel: Callable[[Field[Any]], str | None] | None = None, *, required: bool = True
) -> list[inspect.Parameter]:
    """One option parameter per CLI field of ``config_class`` (``panel(field)``: its help panel; fields
    without a default are required options unless ``required`` is False)."""
    return [
        parameter(config_class, f, panel(f) if panel else None, required=required)
        for f in cli_fields(config_class)
    ]


def with_signature(function: Callable[..., Any], params: Sequence[inspect.Parameter]) -> Callable[..., Any]:
    """``function`` (taking ``**given``) presented to Typer with ``params`` as its signature."""
    function.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
    function.__annotations__ = {p.name: p.annotation for p in params}
    return function


def given(values: dict[str, Any], config_class: type) -> dict[str, Any]:
    """The options of ``config_class`` that were given (not None) among a command's ``values``."""
    names = {f.name for f in cli_fields(config_class)}
    return {k: v for k, v in values.items() if k in names and v is not None}
