"""The service's configuration: one frozen dataclass, :class:`ServeSettings`, built by the command (or a
test) and never mutated; and what ``i2i serve`` can be asked, :class:`ServeOptions`, in the units of its
flags (MiB, megapixels, KiB/s), one flag per field (:func:`i2i.options.parameters`), which makes it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from i2i.errors import I2IError
from i2i.options import check_ranges, coerce_enums, option
from i2i.runtime.translate_options import PRECISION_HELP, RUNTIME_HELP, InferenceDevice, Precision, Runtime
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


MIB = 2**20


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    """What ``i2i serve`` was asked, as its flags say it; :meth:`settings` turns it into the
    :class:`ServeSettings` the service runs on (sizes in bytes, the token read from ``token_file``).
    The defaults are :class:`ServeSettings`'s, in these units."""

    models: str | None = option(
        None,
        "Comma-separated model names or .onnx files (NAME:BtoA picks a direction). Default: every shipped "
        "and user model, under its registry name.",
        flags=("-m",),
    )
    host: str = option(ServeSettings.host, "Address to bind (default: loopback only).")
    port: int = option(ServeSettings.port, "TCP port.", min=0, max=65535)
    token: str | None = option(
        None,
        "Require 'Authorization: Bearer TOKEN' on every request except /health, the page and the docs. "
        "Visible to other users in the process list: prefer --token-file or I2I_SERVE_TOKEN.",
        click={"envvar": "I2I_SERVE_TOKEN"},
    )
    token_file: Path | None = option(
        None, "Read the token from the first line of this file.", click={"dir_okay": False}
    )
    allow_host: tuple[str, ...] = option(
        (),
        "Without a token, also answer this Host name (IP literals and localhost always work). Repeatable.",
        click={"metavar": "NAME"},
    )
    allow_origin: tuple[str, ...] = option(
        (),
        "Without a token, also accept POSTs from pages of this origin (https://host[:port]); other sites' "
        "browser requests get 403. Repeatable.",
        click={"metavar": "ORIGIN"},
    )
    workers: int = option(
        ServeSettings.workers, "Requests translated at once (inference worker threads).", min=1
    )
    queue: int = option(ServeSettings.queue, "Requests that may wait for a worker; more get 503.", min=0)
    max_mb: float = option(ServeSettings.max_bytes / MIB, "Largest request body, MiB.", min=0.001)
    max_megapixels: float = option(
        ServeSettings.max_pixels / 1e6, "Largest image, width x height / 1e6.", min=0.000001
    )
    max_memory: float = option(
        ServeSettings.max_memory / MIB,
        "MiB inference may use in all; each running request gets an equal share and larger images run tiled.",
        min=64,
    )
    timeout: float = option(ServeSettings.timeout, "Seconds per request before 504.", min=0.001)
    device: InferenceDevice = option(InferenceDevice(ServeSettings.device), "Where inference runs.")
    runtime: Runtime = option(Runtime.auto, RUNTIME_HELP)
    precision: Precision = option(Precision.auto, PRECISION_HELP)
    threads: int | None = option(None, "onnxruntime threads per model (default: all cores).", min=1)
    client_timeout: float = option(
        ServeSettings.client_timeout,
        "Seconds a connection may take to send a request head (else closed), and the grace before an upload "
        "must keep up with --min-upload-kib (else 408).",
        min=0.01,
    )
    min_upload_kib: float = option(
        ServeSettings.min_upload_rate / 1024, "Slowest accepted upload, KiB/s.", min=0.001
    )
    max_connections: int = option(
        ServeSettings.max_connections, "Open connections; idle ones are closed first to make room.", min=1
    )
    log_level: str = option("warning", "uvicorn log level.")
    quiet: bool = option(
        not ServeSettings.log_requests, "No line per request (method, path, model, status, ms) on stderr."
    )

    def __post_init__(self) -> None:
        coerce_enums(self)
        check_ranges(self)
        object.__setattr__(self, "allow_host", tuple(self.allow_host))
        object.__setattr__(self, "allow_origin", tuple(self.allow_origin))
        if self.token is not None and self.token_file is not None:
            raise I2IError("give the token once: --token/I2I_SERVE_TOKEN or --token-file")

    @property
    def model_list(self) -> tuple[str, ...]:
        """``--models`` split at commas (empty: every shipped and user model)."""
        return tuple(m.strip() for m in (self.models or "").split(",") if m.strip())

    def settings(self) -> ServeSettings:
        """The service's settings (reads ``token_file``).

        Raises:
            I2IError: an unreadable or empty token file, or a value :class:`ServeSettings` refuses.
        """
        token = read_token_file(self.token_file) if self.token_file is not None else self.token
        return ServeSettings(
            host=self.host,
            port=self.port,
            models=self.model_list,
            token=token,
            allowed_hosts=self.allow_host,
            allowed_origins=self.allow_origin,
            log_requests=not self.quiet,
            client_timeout=self.client_timeout,
            min_upload_rate=self.min_upload_kib * 1024,
            max_connections=self.max_connections,
            workers=self.workers,
            queue=self.queue,
            max_bytes=max(1, int(self.max_mb * MIB)),
            max_pixels=max(1, int(self.max_megapixels * 1e6)),
            max_memory=int(self.max_memory * MIB),
            timeout=self.timeout,
            device=self.device.value,
            threads=self.threads,
        )


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
