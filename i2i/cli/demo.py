"""`i2i demo [OUT_DIR]`: translate the bundled sample images with a shipped model (torch-free, offline).

The default model is the first entry of ``weights/registry.toml`` that names a bundled sample folder
(``samples = "facades_labels"`` for the facades labels -> photo model); ``--model`` picks another named model
that has samples. Inputs: ``i2i/assets/samples/<samples>/`` (sources: ``i2i/assets/samples/README.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import PrecisionOption, ProgressOption, RuntimeOption, console
from i2i.errors import I2IError

DEFAULT_OUT = Path("i2i-demo")


def register(app: typer.Typer) -> None:
    """Add the `demo` command to the top-level app."""
    app.command("demo")(demo_command)


def demo_model(name: str | None = None):  # -> i2i.zoo.ModelEntry
    """The entry the demo runs: ``name``, else the first shipped model with bundled samples."""
    from i2i.zoo import load_zoo, shipped_registry_path

    zoo = load_zoo()
    if name is not None:
        entry = zoo.get(name)
        if entry.samples is None:
            raise I2IError(
                f"model {name!r} names no bundled samples; run `i2i translate -m {name}` on images"
            )
        return entry
    for entry in zoo.shipped.values():
        if entry.samples is not None:
            return entry
    raise I2IError(
        f"no shipped model for the demo: {shipped_registry_path()} lists no model with bundled samples "
        '(expected the facades labels->photo pix2pix model with samples = "facades_labels")'
    )


def demo_command(
    out_dir: Annotated[
        Path,
        typer.Argument(
            help="Where the results go [i2i-demo; with --model, i2i-demo/MODEL].", metavar="[OUT_DIR]"
        ),
    ] = DEFAULT_OUT,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="A named model with bundled samples.", show_default=False),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace earlier results.")] = False,
    progress: ProgressOption = True,
    runtime: RuntimeOption = "auto",
    precision: PrecisionOption = "auto",
) -> None:
    """Translate the bundled sample images with a shipped model: works offline on a fresh install."""
    from i2i.cli.translate import translate_command
    from i2i.zoo import samples_dir

    entry = demo_model(model)
    if model is not None and out_dir == DEFAULT_OUT:
        out_dir = DEFAULT_OUT / entry.name  # several models share a sample folder (apples): keep theirs apart
    inputs = samples_dir() / entry.samples
    if not inputs.is_dir():
        raise I2IError(f"model {entry.name!r}: bundled sample folder {inputs} is missing")
    console.print(
        f"demo: {entry.name} ({entry.task}, {entry.description or entry.arch}) on {inputs}", soft_wrap=True
    )
    translate_command(
        paths=[str(inputs), str(out_dir)],
        model=entry.name,
        overwrite=overwrite,
        progress=progress,
        runtime=runtime,
        precision=precision,
    )
    console.print(
        f"results in {out_dir}/ (inputs: {inputs}; their source: {samples_dir() / 'README.md'})",
        soft_wrap=True,
    )
