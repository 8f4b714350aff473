"""Run the service on uvicorn (one process; inference threads come from the work pool)."""

from __future__ import annotations

import socket

from i2i.serve.pool import ModelPool
from i2i.serve.settings import ServeSettings


def make_server(settings: ServeSettings, pool: ModelPool, log_level: str = "warning"):  # -> uvicorn.Server
    """A uvicorn server for the app over ``pool``, on the guarded h11 protocol (:mod:`i2i.serve.guard`):
    silent connections are closed after ``client_timeout``; beyond ``max_connections`` idle ones make room
    first, then newcomers get a JSON 503 with Retry-After (up to ``settings.hard_connections``)."""
    import uvicorn

    from i2i.serve.allocator import tune_allocator
    from i2i.serve.app import create_app
    from i2i.serve.guard import guarded_protocol

    tune_allocator()  # large buffers go back to the system when freed
    app = create_app(settings, pool)
    limits = (settings.client_timeout, settings.max_connections, settings.hard_connections)
    protocol = guarded_protocol(*limits, retry_after=app.state.work.retry_after)
    if settings.log_requests:
        from i2i.serve.access_log import AccessLog

        served = AccessLog(app)
    else:
        served = app
    config = uvicorn.Config(
        served,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=False,
        http=protocol,
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
    sock.listen(2048)  # uvicorn's own default backlog
    sock.set_inheritable(True)
    return sock
