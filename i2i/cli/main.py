"""The `i2i` entry point: assembles the command groups and turns I2IError into one clear line.

Set `--debug` (or the environment variable I2I_DEBUG=1) to see the traceback of an I2IError.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from i2i import __version__
from i2i.cli import data as data_cli
from i2i.cli import demo as demo_cli
from i2i.cli import doctor as doctor_cli
from i2i.cli import dream as dream_cli
from i2i.cli import eval as eval_cli
from i2i.cli import export as export_cli
from i2i.cli import models as models_cli
from i2i.cli import stylize as stylize_cli
from i2i.cli import train as train_cli
from i2i.cli import translate as translate_cli
from i2i.cli.common import console, group_help, reflow_help
from i2i.errors import I2IError
from i2i.serve import command as serve_cli

app = typer.Typer(
    name="i2i",
    help="Image-to-image translation and style: train Pix2Pix/CycleGAN, export to ONNX, translate fast.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

demo_cli.register(app)
app.add_typer(train_cli.app, name="train", help=group_help("Train models", train_cli.app))
export_cli.register(app)
translate_cli.register(app)
serve_cli.register(app)
stylize_cli.register(app)
dream_cli.register(app)
app.add_typer(models_cli.app, name="models", help=group_help("Named models", models_cli.app))
app.add_typer(data_cli.app, name="data", help=group_help("Datasets", data_cli.app))
app.add_typer(eval_cli.app, name="eval", help=group_help("Evaluate", eval_cli.app))
doctor_cli.register(app)
reflow_help(app)


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


#: Packages that only the `train` extra installs (`pip install "i2i[train]"`).
TRAIN_EXTRA_MODULES = ("torch", "torchvision", "onnxscript")
CPU_TORCH_HINT = (
    "on a machine without a GPU, PyTorch's CPU-only wheels are much smaller: "
    "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu"
)


def missing_extra_message(err: ModuleNotFoundError, argv: list[str]) -> str | None:
    """The one line for a command that needs the ``train`` extra on an install without it (else None)."""
    root = (err.name or "").split(".")[0]
    if root not in TRAIN_EXTRA_MODULES:
        return None
    words = [word for word in argv[1:] if not word.startswith("-")][:2]
    command = " ".join(["i2i", *words[: 2 if words[:1] in (["train"], ["eval"], ["models"]) else 1]])
    return (
        f"`{command}` needs {root}, which a plain `pip install i2i` leaves out (it runs models only): "
        f'pip install "i2i[train]"; {CPU_TORCH_HINT}'
    )


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except I2IError as err:
        if os.environ.get("I2I_DEBUG") == "1":
            raise
        console.print(f"[bold red]error:[/] {escape(str(err))}", soft_wrap=True)  # text, not markup
        sys.exit(1)
    except ModuleNotFoundError as err:
        message = missing_extra_message(err, sys.argv)
        if message is None or os.environ.get("I2I_DEBUG") == "1":
            raise
        console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    run()
