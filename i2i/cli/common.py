"""Shared CLI pieces: option aliases, the console, help text, and how a command over files ends.

Nothing here imports torch: `i2i translate --help` must start fast.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from i2i.console import console
from i2i.runtime.translate_options import PRECISION_HELP, RUNTIME_HELP

__all__ = [
    "DataRootOption",
    "InsecureOption",
    "PrecisionOption",
    "ProgressOption",
    "RuntimeOption",
    "console",
    "finish_file_run",
    "group_help",
    "output_option",
    "reflow",
    "reflow_help",
    "sha256_option",
    "subcommand_names",
    "warn",
]

DataRootOption = Annotated[
    Path | None,
    typer.Option(
        "--data-root",
        help="Where named datasets live and are fetched to (default: $I2I_DATA, else a per-user cache dir).",
        show_default=False,
    ),
]
InsecureOption = Annotated[
    bool | None,
    typer.Option(
        "--insecure",
        help="Accept a download URL that is not https (a mirror over http://): nothing but a sha256 pin then "
        "protects the file [$I2I_INSECURE_DOWNLOADS].",
        show_default=False,
    ),
]
#: `--runtime` and `--precision` for `i2i demo`, the one command that still declares them by hand (translate,
#: serve and `stylize --model` make them from their option dataclasses); help as theirs.
RuntimeOption = Annotated[
    str, typer.Option("--runtime", help=f"auto | onnxruntime | openvino. {RUNTIME_HELP}")
]
PrecisionOption = Annotated[
    str, typer.Option("--precision", help=f"auto | fp32 | bf16 | fp16 | int8. {PRECISION_HELP}")
]
ProgressOption = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")]


def output_option(help: str, *, out_alias: bool = False) -> Any:
    """The ``-o``/``--output`` option of a command that writes files, as a parameter annotation (a path,
    ``None`` by default, which ``help`` explains). ``out_alias``: ``--out`` is accepted too (the spelling
    those commands took first)."""
    names = ("-o", "--output", "--out") if out_alias else ("-o", "--output")
    return Annotated[Path | None, typer.Option(*names, help=help, show_default=False)]


def sha256_option(what: str) -> Any:
    """The ``--sha256`` option of a command that downloads ``what`` ("the archive"), as a parameter
    annotation: the sum the file must have (see :mod:`i2i.pins` for the one recorded otherwise)."""
    return Annotated[
        str | None,
        typer.Option(
            "--sha256",
            help=f"Expected sha256 of {what} (else the first download's sum is recorded and later "
            "downloads must match it).",
            show_default=False,
        ),
    ]


def warn(message: str) -> None:
    """One ``warning:`` line on the console (what a download says about its source or its pin)."""
    console.print(f"[yellow]warning:[/] {message}", soft_wrap=True)


def subcommand_names(group: typer.Typer) -> list[str]:
    """The names a Typer group's command line offers (registered commands, sub-groups, and any a custom
    group class adds, such as the generated `i2i train` recipes), in order, hidden ones left out."""
    import click

    command = typer.main.get_group(group)
    names = command.list_commands(click.Context(command))
    return [name for name in names if not getattr(command.commands.get(name), "hidden", False)]


def group_help(lead: str, group: typer.Typer) -> str:
    """``lead: sub1, sub2, ...`` so that a group's one-line help always names every subcommand."""
    return f"{lead}: {', '.join(subcommand_names(group))}."


def reflow(text: str) -> str:
    """``text`` (a docstring or help) with each paragraph's lines joined into one: Typer's rich help
    wraps the first paragraph to the terminal but keeps the source line breaks of the later ones, which
    turns them ragged on a terminal narrower than the source."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def reflow_help(group: typer.Typer) -> None:
    """Give every command of ``group`` and of its sub-groups its docstring, reflowed, as help text."""
    for info in group.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = reflow(info.callback.__doc__)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            reflow_help(sub.typer_instance)


def finish_file_run(failed: int, interrupted: bool = False) -> None:
    """End a command over many files: exit 130 after a Ctrl-C stopped it (the results so far are kept),
    1 if any file failed, else return."""
    if interrupted:
        console.print("[yellow]interrupted[/]: the remaining inputs were not processed")
        raise typer.Exit(130)
    if failed:
        raise typer.Exit(1)
