"""`i2i serve`: the translation and style service with its web page (torch-free, like `i2i translate`)."""

from __future__ import annotations

from typing import Annotated

import typer

from i2i.cli.common import PrecisionOption, RuntimeOption, console


def register(app: typer.Typer) -> None:
    """Add the top-level `serve` command."""
    app.command("serve")(serve_command)


def serve_command(
    models: Annotated[
        str,
        typer.Option(
            "--models",
            "-m",
            help="Comma-separated model names or .onnx files (NAME:BtoA picks a direction).",
            show_default=False,
        ),
    ],
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: loopback only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="I2I_SERVE_TOKEN",
            help="Require 'Authorization: Bearer TOKEN' on every request except /health and the page.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Inference threads.")] = 2,
    queue: Annotated[
        int, typer.Option("--queue", min=0, help="Requests that may wait for a worker; more get 503.")
    ] = 8,
    max_mb: Annotated[float, typer.Option("--max-mb", min=0.001, help="Largest request body, MiB.")] = 20.0,
    max_megapixels: Annotated[
        float, typer.Option("--max-megapixels", min=0.000001, help="Largest image, width x height / 1e6.")
    ] = 16.0,
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
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "warning",
) -> None:
    """Serve models over HTTP: a web page at /, the API under /v1 (schema at /openapi.json, docs at /docs).

    Each model is loaded once and shared.

    Inference runs on --workers threads and --queue more requests may wait; beyond that: 503, Retry-After.
    """
    from i2i.runtime.engine import describe_session
    from i2i.serve.pool import ModelPool
    from i2i.serve.run import make_server
    from i2i.serve.settings import ServeSettings

    settings = ServeSettings(
        host=host,
        port=port,
        models=tuple(m.strip() for m in models.split(",") if m.strip()),
        token=token,
        workers=workers,
        queue=queue,
        max_bytes=max(1, int(max_mb * 2**20)),
        max_pixels=max(1, int(max_megapixels * 1e6)),
        timeout=timeout,
        device=device,
        threads=threads,
    )
    pool = ModelPool.load(
        settings.models,
        device=settings.device,
        threads=settings.threads,
        runtime=runtime,
        precision=precision,
    )
    for entry in pool.entries():
        console.print(
            f"model: {entry.info.describe()} on [bold]{entry.provider}[/] -> /v1/{entry.kind} "
            f"({describe_session(entry.session)})",
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
