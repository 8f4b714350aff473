"""`i2i stylize` (not yet available)."""

import typer

from i2i.cli.common import not_yet_available_command


def register(app: typer.Typer) -> None:
    """Add the `stylize` command to the top-level app."""
    app.command(
        "stylize",
        help="Neural style transfer (not yet available).",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(not_yet_available_command("stylize"))
