"""`i2i models ship`: the maintainers' command that adds a model to the shipped registry
(``weights/registry.toml``), after the task's quality gates (:mod:`i2i.zoo.gates`); the users' commands of
`i2i models` are in :mod:`i2i.cli.models`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import console


def register(app: typer.Typer) -> None:
    """Add `ship` to the `i2i models` group."""
    app.command("ship")(ship_model)


def _quality_pairs(items: list[str]) -> dict[str, float | str]:
    from i2i.errors import I2IError

    out: dict[str, float | str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise I2IError(f"--quality {item!r}: use METRIC=VALUE")
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = value
    return out


def ship_model(
    name: Annotated[str, typer.Argument(help="Name of the shipped model.", show_default=False)],
    model: Annotated[Path, typer.Argument(help="The i2i ONNX export to ship.", show_default=False)],
    licence: Annotated[str, typer.Option("--licence", help="Licence of the weights.", show_default=False)],
    command: Annotated[
        str, typer.Option("--command", help="The exact training command (to retrain it).", show_default=False)
    ],
    hardware: Annotated[str, typer.Option("--hardware", help="What it was trained on.", show_default=False)],
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Default: the header's data name.", show_default=False)
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", help="Default: the header's step count.", show_default=False)
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Default: the export's date.", show_default=False)
    ] = None,
    pair: Annotated[str | None, typer.Option("--pair", help="Pair label.", show_default=False)] = None,
    samples: Annotated[
        str | None,
        typer.Option(
            "--samples", help="Bundled sample folder it translates (used by `i2i demo`).", show_default=False
        ),
    ] = None,
    description: Annotated[str, typer.Option("--description", help="One line about the model.")] = "",
    quality: Annotated[
        list[str] | None, typer.Option("--quality", help="METRIC=VALUE (repeatable).", show_default=False)
    ] = None,
    notes: Annotated[
        str | None, typer.Option("--notes", help="Provenance notes.", show_default=False)
    ] = None,
    force: Annotated[
        str | None,
        typer.Option(
            "--force",
            help="Ship although a quality gate fails; REASON is recorded in the entry.",
            metavar="REASON",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Maintainers: copy an export into weights/ as NAME.onnx and add its entry to weights/registry.toml.

    The --quality numbers must pass the task's quality gates (i2i.zoo.gates: held-out KID ratio,
    checkerboard score, LPIPS, near-black share ...), or --force REASON records why it ships anyway.
    """
    from i2i.modelfile import read_model_info
    from i2i.zoo.gates import gated_quality
    from i2i.zoo.manage import ship_onnx

    provenance = {
        "command": command,
        "hardware": hardware,
        "dataset": dataset,
        "steps": steps,
        "date": date,
        "notes": notes,
    }
    entry = ship_onnx(
        name,
        model,
        licence=licence,
        provenance={k: v for k, v in provenance.items() if v is not None},
        quality=gated_quality(read_model_info(model).task, _quality_pairs(quality or []), force),
        pair=pair,
        samples=samples,
        description=description,
    )
    console.print(f"[green]shipped[/] {entry.name}: {entry.path} sha256 {entry.sha256}", soft_wrap=True)
    if force and "gates_failed" in entry.quality:
        console.print(f"[yellow]gates failed, recorded:[/] {entry.quality['gates_failed']} ({force})")
