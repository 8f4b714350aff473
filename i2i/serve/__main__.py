"""``python -m i2i.serve --models ...``: the `i2i serve` command on its own (same options)."""

from __future__ import annotations

import os
import sys

import typer

from i2i.console import console
from i2i.errors import I2IError
from i2i.serve.command import register


def main() -> None:
    """Run `serve` with this process's arguments; I2IError becomes one line and exit 1."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    try:
        app()
    except I2IError as err:
        if os.environ.get("I2I_DEBUG") == "1":
            raise
        console.print(f"[bold red]error:[/] {err}", soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
