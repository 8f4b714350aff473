"""The service's configuration: one frozen dataclass built by the CLI (or a test) and never mutated."""

from __future__ import annotations

from dataclasses import dataclass

from i2i.errors import I2IError
from i2i.serve.origin import normalize_origin

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class ServeSettings:
    """How ``i2i serve`` runs.

    ``models``: model names or .onnx paths (``NAME:BtoA`` picks a direction of a named model).
    ``token``: when set, every request except ``/health`` and the static web page needs
    ``Authorization: Bearer <token>``. ``workers``: inference threads; ``queue``: requests that may wait
    for a worker (more than ``workers + queue`` at once get 503). ``max_bytes``: largest request body;
    ``max_pixels``: largest decoded image (width x height); ``timeout``: seconds from admission to the
    response (504 after). ``device``/``threads``: onnxruntime provider and intra-op threads per session.
    ``quality``: JPEG/WebP output quality (the CLI's default, so outputs match ``i2i translate``).
    ``client_timeout``: seconds a connection has to send a complete request head (else it is closed), and
    the grace before a body must keep up with ``min_upload_rate`` bytes/s (else 408).
    ``max_connections``: open connections; beyond it the oldest idle one is closed, or 503 if none is idle.
    ``allowed_hosts``: Host names a tokenless server answers besides IP literals and ``localhost``.
    ``allowed_origins``: web origins (``https://example.org``) whose pages may POST to a tokenless server;
    other sites' requests get 403 (:mod:`i2i.serve.origin`).
    ``max_memory``: bytes inference may use in all (each of the ``workers`` running requests gets an
    equal share; larger images run tiled, see :mod:`i2i.serve.memory`). Uploads are bounded separately
    (:attr:`body_budget`). ``log_requests``: one stderr line per request (:mod:`i2i.serve.access_log`).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    models: tuple[str, ...] = ()
    token: str | None = None
    workers: int = 2
    queue: int = 8
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 16_000_000
    timeout: float = 60.0
    device: str = "auto"
    threads: int | None = None
    quality: int = 95
    client_timeout: float = 5.0
    min_upload_rate: float = 8 * 1024
    max_connections: int = 256
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_memory: int = 4 * 2**30
    log_requests: bool = True

    def __post_init__(self) -> None:
        if self.workers < 1 or self.queue < 0:
            raise I2IError(f"--workers must be >= 1 and --queue >= 0 (got {self.workers}, {self.queue})")
        if self.max_bytes < 1 or self.max_pixels < 1 or self.timeout <= 0:
            raise I2IError("--max-bytes, --max-pixels and --timeout must be positive")
        if self.token is not None and not self.token.strip():
            raise I2IError("--token must not be empty")
        if self.max_memory < 64 * 2**20:
            raise I2IError(f"--max-memory must be at least 64 MiB (got {self.max_memory / 2**20:g})")
        if self.client_timeout <= 0 or self.min_upload_rate <= 0 or self.max_connections < 1:
            raise I2IError("--client-timeout, --min-upload-rate and --max-connections must be positive")
        for origin in self.allowed_origins:
            normalize_origin(origin)  # raises I2IError naming the bad value
        if not 1 <= self.quality <= 100:
            raise I2IError(f"--quality must be in 1..100 (got {self.quality})")

    @property
    def capacity(self) -> int:
        """Requests admitted at once: running plus waiting."""
        return self.workers + self.queue

    @property
    def memory_share(self) -> int:
        """Bytes one running request may use: ``max_memory / workers``."""
        return self.max_memory // self.workers

    @property
    def body_budget(self) -> int:
        """Bytes all request bodies being received or processed may hold together."""
        return self.capacity * self.max_bytes

    @property
    def hard_connections(self) -> int:
        """Open connections at which new ones are closed unanswered: well above ``max_connections``
        (between the two, a newcomer is answered 503 when no slot frees up), within the process's
        file-descriptor limit."""
        return connection_hard_limit(self.max_connections)

    @property
    def loopback(self) -> bool:
        """True when the service is reachable only from this machine."""
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")


#: File descriptors kept free for models, logs and the listening socket.
FD_RESERVE = 64


def connection_hard_limit(max_connections: int) -> int:
    """``max(4 x max_connections, max_connections + 1024)``, capped by RLIMIT_NOFILE (never below
    ``max_connections``)."""
    generous = max(4 * max_connections, max_connections + 1024)
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # not POSIX
        return generous
    if soft == resource.RLIM_INFINITY:
        return generous
    return max(max_connections, min(generous, soft - FD_RESERVE))
