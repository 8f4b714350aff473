"""Typer options generated from an options dataclass: one flag per field.

The builder lives in the core (:mod:`i2i.options`: :func:`~i2i.options.parameters`,
:func:`~i2i.options.given` ...) so that ``i2i serve``, which runs without the CLI package
(``python -m i2i.serve``), declares its options the same way; the CLI's commands import it from here.
"""

from __future__ import annotations

from i2i.options import (
    cli_fields,
    default_text,
    flag,
    flags,
    given,
    parameter,
    parameters,
    with_signature,
)

__all__ = [
    "cli_fields",
    "default_text",
    "flag",
    "flags",
    "given",
    "parameter",
    "parameters",
    "with_signature",
]
