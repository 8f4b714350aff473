"""Typer options generated from an options dataclass (:mod:`i2i.options`): one flag per field.

A field ``octave_scale: float = option(1.4, "Size ratio between octaves.")`` becomes
``--octave-scale FLOAT`` with that help and ``[default: 1.4]``; a ``bool`` field a ``--x/--no-x`` pair; an
Enum field a choice checked by click (a bad value exits 2 naming the valid ones). Fields spelled with
capitals in the papers (``netG``) also answer to that spelling (``--netG``), and ``option(flags=...)``
adds short or older spellings. Every option defaults to None on the command line, so the command knows
which ones were given (:func:`given`) and the dataclass supplies the rest: the default lives in one place.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import MISSING, Field, fields
from enum import Enum
from typing import Annotated, Any

import typer
from rich.markup import escape

from i2i.options import enum_of, field_types


def flag(name: str) -> str:
    """The kebab-case option of a field: ``netG`` -> ``--net-g``, ``lambda_A`` -> ``--lambda-a``."""
    return "--" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).replace("_", "-").lower()


def flags(f: Field[Any]) -> list[str]:
    """The option, the field's extra spellings, and, for names with capitals, the paper spelling."""
    main, paper = flag(f.name), "--" + f.name.replace("_", "-")
    return [main, *f.metadata.get("flags", ()), *([] if paper == main else [paper])]


def cli_fields(config_class: type) -> list[Field[Any]]:
    """The fields of ``config_class`` that are command-line options, in declaration order."""
    return [f for f in fields(config_class) if f.metadata.get("cli", True)]


def default_text(f: Field[Any]) -> str:
    """`` [default: X]`` for the help of a field with a default worth showing, else ""."""
    if f.default is MISSING or f.default is None or not f.metadata.get("show_default", True):
        return ""
    value = f.default.value if isinstance(f.default, Enum) else f.default
    return f" [default: {value:g}]" if isinstance(value, float) else f" [default: {value}]"


def parameter(
    config_class: type, f: Field[Any], panel: str | None = None, *, required: bool = False
) -> inspect.Parameter:
    """The keyword parameter (default None: not given) that makes field ``f`` an option; with
    ``required``, a field without a default is a required option (click names it when missing)."""
    annotation = field_types(config_class)[f.name]
    kind = enum_of(annotation)
    base: Any = kind or next(
        t for t in (annotation, *getattr(annotation, "__args__", ())) if t is not type(None)
    )
    if set(getattr(base, "__args__", ())) == {bool, type(None)}:  # bool | None: a flag pair, unset by default
        base = bool
    decls = flags(f)
    if base is bool:
        decls = [f"{decls[0]}/--no-{decls[0][2:]}", *decls[1:]]
    help_text = escape(f.metadata.get("help", "") + default_text(f))
    option = typer.Option(*decls, help=help_text, show_default=False, rich_help_panel=panel)
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
