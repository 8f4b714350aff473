"""`i2i translate` (not yet available)."""

import typer

from i2i.cli.common import not_yet_available_command


def register(app: typer.Typer) -> None:
    """Add the `translate` command to the top-level app."""
    app.command(
        "translate",
        help="Translate images or folders with a model (not yet available).",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(not_yet_available_command("translate"))
