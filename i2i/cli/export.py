"""`i2i export` (not yet available)."""

import typer

from i2i.cli.common import not_yet_available_command


def register(app: typer.Typer) -> None:
    """Add the `export` command to the top-level app."""
    app.command(
        "export",
        help="Export a checkpoint to a verified ONNX file (not yet available).",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(not_yet_available_command("export"))
