"""`i2i data`: list the dataset catalog and fetch datasets by name.

Only torch-free modules are imported here, so `i2i data list` starts fast.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from i2i.cli.common import DataRootOption, InsecureOption, ProgressOption, console, sha256_option, warn
from i2i.data.catalog import CATALOG, DatasetEntry
from i2i.data.fetch import dataset_status, fetch_dataset, verify_dataset
from i2i.data.resolve import default_data_root

app = typer.Typer(no_args_is_help=True, help="Datasets: list the catalog, fetch by name.")


def _splits_text(entry: DatasetEntry) -> str:
    return ", ".join(f"{split} {count if count is not None else '?'}" for split, count in entry.splits)


def _task_text(entry: DatasetEntry) -> str:
    if entry.kind == "aligned":
        return f"paired: A {entry.side_a} | B {entry.side_b}"
    return "unpaired"


_STATUS_STYLE = {"yes": "[green]yes[/]", "incomplete": "[yellow]incomplete[/]", "no": "[dim]no[/]"}


@app.command("list")
def list_datasets(data_root: DataRootOption = None) -> None:
    """Show the catalog: task, splits and image counts (? = unknown), size, presence under the data root."""
    root = data_root.expanduser() if data_root is not None else default_data_root()
    table = Table(title="i2i datasets", caption=f"data root: {root}", show_lines=False)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("task")
    table.add_column("splits (images)")
    table.add_column("size", justify="right")
    table.add_column("local", justify="center", no_wrap=True)
    for entry in CATALOG.values():
        table.add_row(
            entry.name,
            _task_text(entry),
            _splits_text(entry),
            entry.approx_size or "?",
            _STATUS_STYLE[dataset_status(entry, root)],
        )
    Console().print(table)


@app.command("fetch")
def fetch(
    name: Annotated[str, typer.Argument(help="Catalog name (see `i2i data list`).", show_default=False)],
    data_root: DataRootOption = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Server root to download from instead of the authors' server (or $I2I_DATASET_BASE_URL).",
            show_default=False,
        ),
    ] = None,
    progress: ProgressOption = True,
    sha256: sha256_option("the archive") = None,
    insecure: InsecureOption = None,
) -> None:
    """Download and unpack a dataset into <data root>/<name> and print its path (no-op when present).

    The archive's sha256 is recorded on first download (see `i2i data verify`) and checked on later ones.
    """
    root = data_root.expanduser() if data_root is not None else default_data_root()

    path = fetch_dataset(
        name, root, base_url=base_url, progress=progress, on_warning=warn, sha256=sha256, insecure=insecure
    )
    print(path)


@app.command("verify")
def verify(
    name: Annotated[str, typer.Argument(help="Catalog name (see `i2i data list`).", show_default=False)],
    data_root: DataRootOption = None,
) -> None:
    """Check a fetched dataset's files against the sha256 tree hash recorded when it was fetched."""
    root = data_root.expanduser() if data_root is not None else default_data_root()
    console.print(verify_dataset(name, root), soft_wrap=True)
