"""`i2i models`: named models and pretrained backbones. Today: `fetch-backbones`."""

from __future__ import annotations

from typing import Annotated

import typer

from i2i.cli.common import console

app = typer.Typer(help="Named models and pretrained backbones.", no_args_is_help=True)


@app.command("fetch-backbones")
def fetch_backbones(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Backbones to fetch (default: all known).", show_default=False),
    ] = None,
) -> None:
    """Download, verify and cache the pretrained feature networks, so later runs work offline."""
    from i2i.errors import I2IError
    from i2i.features.resolver import cache_dir, resolve_weights
    from i2i.features.sources import backbone_sources

    sources = backbone_sources()
    wanted = names or list(sources)
    unknown = [n for n in wanted if n not in sources]
    if unknown:
        raise I2IError(f"unknown backbone(s) {', '.join(unknown)}; valid: {', '.join(sources)}")
    console.print(f"cache: {cache_dir()}")
    failed = []
    for name in wanted:
        try:
            got = resolve_weights(sources[name])
        except I2IError as err:
            failed.append(name)
            console.print(f"[red]{name}: unavailable[/] ({err})", soft_wrap=True)
            continue
        console.print(f"[green]{name}[/]: {got.path} ({got.origin})", soft_wrap=True)
    if failed:
        console.print(f"[red]{len(failed)} of {len(wanted)} backbones unavailable:[/] {', '.join(failed)}")
        raise typer.Exit(1)
