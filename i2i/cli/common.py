"""Shared CLI pieces: option aliases, the console, and the not-yet-available placeholder.

Nothing here imports torch: `i2i translate --help` must start fast.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True, highlight=False)

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
DeviceOption = Annotated[str, typer.Option("--device", help="auto | cpu | cuda (torch commands).")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed.")]
RuntimeOption = Annotated[
    str,
    typer.Option(
        "--runtime",
        help="auto | onnxruntime | openvino. auto: onnxruntime on a GPU, else OpenVINO on the CPU.",
    ),
]
PrecisionOption = Annotated[
    str,
    typer.Option(
        "--precision",
        help="auto | fp32 | bf16 | fp16. auto: bf16 on CPUs with AMX/AVX512-BF16 (OpenVINO), fp16 with "
        "TensorRT, for models that keep >= 40 dB PSNR against fp32 (checked once, remembered); else fp32.",
    ),
]
AmpOption = Annotated[
    str,
    typer.Option(
        "--amp",
        help="Mixed precision: auto | none | bf16 | fp16. auto: bf16 autocast + channels_last on CPUs "
        "with AMX/AVX512-BF16 and CUDA GPUs with bf16, else none (float32).",
    ),
]


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


def not_yet_available(group: str) -> typer.Typer:
    """A command group that exists in `--help` but is not built yet: it says so and exits 2."""
    app = typer.Typer(help=f"{group} (not yet available).", invoke_without_command=True)

    @app.callback(invoke_without_command=True)
    def _placeholder(ctx: typer.Context) -> None:
        console.print(f"[bold red]error:[/] `i2i {group}` is not yet available in this version of i2i.")
        raise typer.Exit(2)

    return app


def not_yet_available_command(name: str):
    """A single command that exists in `--help` but is not built yet: it says so and exits 2."""

    def _placeholder(ctx: typer.Context) -> None:
        console.print(f"[bold red]error:[/] `i2i {name}` is not yet available in this version of i2i.")
        raise typer.Exit(2)

    return _placeholder
