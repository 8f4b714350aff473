"""The `serve` command: options -> :class:`~i2i.serve.settings.ServeSettings` -> model pool -> uvicorn
(torch-free, like `i2i translate`).

It lives in the serving layer so that ``python -m i2i.serve`` runs it without importing the CLI;
``i2i serve`` (:mod:`i2i.cli.main`) registers the same function. The options are the fields of
:class:`~i2i.serve.settings.ServeOptions`, one flag each, made by the core's builder
(:func:`i2i.options.parameters`, the one :mod:`i2i.cli.options` re-exports to the CLI's commands).
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from i2i.console import console
from i2i.options import given, parameters, with_signature
from i2i.serve.settings import ServeOptions, read_token_file

__all__ = ["read_token_file", "register", "serve_command"]


def register(app: typer.Typer) -> None:
    """Add the top-level `serve` command."""
    app.command("serve")(with_signature(serve_command, parameters(ServeOptions)))


def serve_command(**values: Any) -> None:
    """Serve models over HTTP: a web page at /, the API under /v1 (schema at /openapi.json, docs at /docs).

    Each model is loaded once and shared.

    Inference runs on --workers threads and --queue more requests may wait; beyond that: 503, Retry-After.
    """
    from i2i.runtime.engine import describe_session
    from i2i.serve.pool import ModelPool
    from i2i.serve.run import make_server

    options = ServeOptions(**given(values, ServeOptions))
    settings = options.settings()
    how = {
        "device": settings.device,
        "threads": settings.threads,
        "runtime": options.runtime.value,
        "precision": options.precision.value,
    }
    if settings.models:
        pool = ModelPool.load(settings.models, **how)
    else:
        pool, skipped = ModelPool.load_registry(**how)
        for line in skipped:
            console.print(f"[yellow]skipped:[/] {line}", soft_wrap=True)
    for entry in pool.entries():
        console.print(
            f"model: {entry.name} = {entry.info.describe()} on [bold]{entry.provider}[/] -> /v1/{entry.kind} "
            f"({describe_session(entry.session)})",
            soft_wrap=True,
        )
    if any(arg == "--token" or arg.startswith("--token=") for arg in sys.argv):
        console.print(
            "[yellow]note:[/] a --token on the command line is visible to other users in the process list; "
            "prefer --token-file PATH or I2I_SERVE_TOKEN",
            soft_wrap=True,
        )
    host = settings.host
    if not settings.loopback and settings.token is None:
        console.print(
            f"[yellow]warning:[/] serving on {host} without --token: anyone who can reach it can use it"
        )
    url = f"http://{'[' + host + ']' if ':' in host else host}:{settings.port}"
    console.print(
        f"serving {len(pool)} model(s) on {url} (page at /, API docs at /docs; "
        f"{settings.workers} workers, queue {settings.queue}{', token required' if settings.token else ''})",
        soft_wrap=True,
    )
    make_server(settings, pool, log_level=options.log_level).run()
