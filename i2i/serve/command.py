"""The `serve` command: options -> :class:`~i2i.serve.settings.ServeSettings` -> model pool -> uvicorn
(torch-free, like `i2i translate`).

It lives in the serving layer so that ``python -m i2i.serve`` runs it without importing the CLI;
``i2i serve`` (:mod:`i2i.cli.main`) registers the same function.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from i2i.console import console
from i2i.errors import I2IError
from i2i.runtime.choices import PrecisionOption, RuntimeOption


def _repeatable(flag: str, metavar: str, help: str) -> typer.models.OptionInfo:
    """A repeatable string option (``--allow-host a --allow-host b``) with no default shown."""
    return typer.Option(flag, metavar=metavar, help=f"{help} Repeatable.", show_default=False)


def register(app: typer.Typer) -> None:
    """Add the top-level `serve` command."""
    app.command("serve")(serve_command)


def read_token_file(path: Path) -> str:
    """The token on the first line of ``path`` (surrounding whitespace removed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise I2IError(f"{path}: cannot read the token file ({err.__class__.__name__})") from None
    token = (text.splitlines() or [""])[0].strip()
    if not token:
        raise I2IError(f"{path}: the token file's first line is empty")
    return token


def serve_command(
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            "-m",
            help="Comma-separated model names or .onnx files (NAME:BtoA picks a direction). "
            "Default: every shipped and user model, under its registry name.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: loopback only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="I2I_SERVE_TOKEN",
            help="Require 'Authorization: Bearer TOKEN' on every request except /health, the page and the "
            "docs. Visible to other users in the process list: prefer --token-file or I2I_SERVE_TOKEN.",
            show_default=False,
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="Read the token from the first line of this file.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        _repeatable(
            "--allow-host",
            "NAME",
            "Without a token, also answer this Host name (IP literals and localhost always work).",
        ),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        _repeatable(
            "--allow-origin",
            "ORIGIN",
            "Without a token, also accept POSTs from pages of this origin (https://host[:port]); other "
            "sites' browser requests get 403.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Requests translated at once (inference worker threads).")
    ] = 2,
    queue: Annotated[
        int, typer.Option("--queue", min=0, help="Requests that may wait for a worker; more get 503.")
    ] = 8,
    max_mb: Annotated[float, typer.Option("--max-mb", min=0.001, help="Largest request body, MiB.")] = 20.0,
    max_megapixels: Annotated[
        float, typer.Option("--max-megapixels", min=0.000001, help="Largest image, width x height / 1e6.")
    ] = 16.0,
    max_memory: Annotated[
        float,
        typer.Option(
            "--max-memory",
            min=64,
            help="MiB inference may use in all; each running request gets an equal share and larger "
            "images run tiled.",
        ),
    ] = 4096,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.001, help="Seconds per request before 504.")
    ] = 60.0,
    device: Annotated[str, typer.Option("--device", help="auto | cpu | cuda | tensorrt.")] = "auto",
    runtime: RuntimeOption = "auto",
    precision: PrecisionOption = "auto",
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads", min=1, help="onnxruntime threads per model (default: all cores).", show_default=False
        ),
    ] = None,
    client_timeout: Annotated[
        float,
        typer.Option(
            "--client-timeout",
            min=0.01,
            help="Seconds a connection may take to send a request head (else closed), and the grace "
            "before an upload must keep up with --min-upload-kib (else 408).",
        ),
    ] = 5.0,
    min_upload_kib: Annotated[
        float, typer.Option("--min-upload-kib", min=0.001, help="Slowest accepted upload, KiB/s.")
    ] = 8.0,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections", min=1, help="Open connections; idle ones are closed first to make room."
        ),
    ] = 256,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "warning",
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No line per request (method, path, model, status, ms) on stderr.")
    ] = False,
) -> None:
    """Serve models over HTTP: a web page at /, the API under /v1 (schema at /openapi.json, docs at /docs).

    Each model is loaded once and shared.

    Inference runs on --workers threads and --queue more requests may wait; beyond that: 503, Retry-After.
    """
    from i2i.runtime.engine import describe_session
    from i2i.serve.pool import ModelPool
    from i2i.serve.run import make_server
    from i2i.serve.settings import ServeSettings

    if token_file is not None:
        if token is not None:
            raise I2IError("give the token once: --token/I2I_SERVE_TOKEN or --token-file")
        token = read_token_file(token_file)
    settings = ServeSettings(
        host=host,
        port=port,
        models=tuple(m.strip() for m in (models or "").split(",") if m.strip()),
        token=token,
        allowed_hosts=tuple(allow_host or ()),
        allowed_origins=tuple(allow_origin or ()),
        log_requests=not quiet,
        client_timeout=client_timeout,
        min_upload_rate=min_upload_kib * 1024,
        max_connections=max_connections,
        workers=workers,
        queue=queue,
        max_bytes=max(1, int(max_mb * 2**20)),
        max_pixels=max(1, int(max_megapixels * 1e6)),
        max_memory=int(max_memory * 2**20),
        timeout=timeout,
        device=device,
        threads=threads,
    )
    how = {"device": settings.device, "threads": settings.threads, "runtime": runtime, "precision": precision}
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
    if not settings.loopback and settings.token is None:
        console.print(
            f"[yellow]warning:[/] serving on {host} without --token: anyone who can reach it can use it"
        )
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    console.print(
        f"serving {len(pool)} model(s) on {url} (page at /, API docs at /docs; "
        f"{workers} workers, queue {queue}{', token required' if token else ''})",
        soft_wrap=True,
    )
    make_server(settings, pool, log_level=log_level).run()
