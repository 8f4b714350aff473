"""The `i2i` entry point: assembles the command groups and turns I2IError into one clear line.

Set `--debug` (or the environment variable I2I_DEBUG=1) to see the traceback of an I2IError.
"""

from __future__ import annotations

import os
import sys

import typer

from i2i import __version__
from i2i.cli import data as data_cli
from i2i.cli.common import console, not_yet_available
from i2i.errors import I2IError

app = typer.Typer(
    name="i2i",
    help="Image-to-image translation and style: train Pix2Pix/CycleGAN, export to ONNX, translate fast.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.add_typer(not_yet_available("train"), name="train", help="Train Pix2Pix, CycleGAN or fast-style models.")
app.add_typer(not_yet_available("export"), name="export", help="Export a checkpoint to a verified ONNX file.")
app.add_typer(
    not_yet_available("translate"), name="translate", help="Translate images or folders with a model."
)
app.add_typer(not_yet_available("stylize"), name="stylize", help="Neural style transfer.")
app.add_typer(not_yet_available("dream"), name="dream", help="DeepDream.")
app.add_typer(not_yet_available("models"), name="models", help="Named models: list, show, import.")
app.add_typer(data_cli.app, name="data", help="Datasets: list the catalog, fetch by name.")
app.add_typer(not_yet_available("eval"), name="eval", help="Evaluate models: L1/PSNR/SSIM, FID/KID, LPIPS.")


def _version(value: bool) -> None:
    if value:
        print(f"i2i {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    if debug:
        os.environ["I2I_DEBUG"] = "1"


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except I2IError as err:
        if os.environ.get("I2I_DEBUG") == "1":
            raise
        console.print(f"[bold red]error:[/] {err}", soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    run()
