"""Run the service on uvicorn (one process; inference threads come from the work pool)."""

from __future__ import annotations

import socket

from i2i.serve.pool import ModelPool
from i2i.serve.settings import ServeSettings


def make_server(settings: ServeSettings, pool: ModelPool, log_level: str = "warning"):  # -> uvicorn.Server
    """A uvicorn server for the app over ``pool``, on the guarded h11 protocol (:mod:`i2i.serve.guard`):
    silent connections are closed after ``client_timeout``, open connections are capped at
    ``max_connections`` (idle ones make room first), and overload is always the app's JSON 503."""
    import uvicorn

    from i2i.serve.app import create_app
    from i2i.serve.guard import guarded_protocol

    config = uvicorn.Config(
        create_app(settings, pool),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=False,
        http=guarded_protocol(settings.client_timeout, settings.max_connections),
        limit_concurrency=None,
        timeout_keep_alive=5,
        server_header=False,
    )
    return uvicorn.Server(config)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``port`` 0: any free port; read it back with ``getsockname()``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
