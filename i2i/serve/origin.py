"""Cross-site requests on tokenless servers: a page on another site must not make a visitor's browser
compute with, or change, this server.

A form POST from any web page is a 'simple' request (no CORS preflight), so without a token the browser
would deliver it and the server would do the work; the page could not read the answer, but the work is
done. Browsers say where a request comes from: ``Origin`` on every POST, and ``Sec-Fetch-Site``
(``same-origin``, ``same-site``, ``cross-site``, ``none``) in current ones. So a tokenless server refuses
(403, one line, body unread) every request that is not GET/HEAD/OPTIONS when:

- ``Origin`` is present and is neither this server (its host and port equal the ``Host`` header) nor an
  origin the operator allowed (:attr:`~i2i.serve.settings.ServeSettings.allowed_origins`); ``Origin:
  null`` (sandboxed frames, ``file:`` pages) counts as another site;
- there is no ``Origin`` but ``Sec-Fetch-Site`` says ``cross-site`` or ``same-site``.

Clients that send neither header (curl, scripts, this package's own tests) are not browsers and pass, as
do the server's own page and docs (``same-origin``). With a token this check is not needed: a cross-site
form cannot send the ``Authorization`` header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from i2i.errors import I2IError
from i2i.serve.limits import RefusingMiddleware, ServeError

#: Methods that only read, answered whatever the origin.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def normalize_origin(text: str) -> str:
    """``scheme://host[:port]`` in lower case without a trailing slash, as browsers send ``Origin``.

    Raises:
        I2IError: ``text`` is not an http(s) origin (a path, query or user part counts as not one).
    """
    value = text.strip().rstrip("/").lower()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise I2IError(
            f"--allow-origin {text!r}: give an origin like https://example.org or http://host:8080"
        )
    if "@" in parts.netloc:
        raise I2IError(f"--allow-origin {text!r}: an origin has no user part")
    return value


def refused_origin(method: str, headers: dict[bytes, bytes], allowed: Iterable[str] = ()) -> str | None:
    """What makes this request cross-site (the Origin, or ``Sec-Fetch-Site: VALUE``), or None when it may
    be served (``allowed``: normalized origins the operator allowed)."""
    if method.upper() in SAFE_METHODS:
        return None
    origin = headers.get(b"origin")
    if origin is not None:
        text = origin.decode("latin-1").strip().rstrip("/").lower()
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        if text in allowed or (text != "null" and urlsplit(text).netloc == host and host):
            return None
        return f"Origin {text[:100]}"
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1").strip().lower()
    if site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site: {site}"
    return None


class OriginCheckMiddleware(RefusingMiddleware):
    """ASGI middleware for tokenless servers: 403 for cross-site requests that are not GET/HEAD/OPTIONS
    (see the module docstring); the body is left unread and the connection closed."""

    def __init__(self, app: Callable, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(app)
        self.allowed = frozenset(normalize_origin(o) for o in allowed)

    def refusal(self, scope: dict) -> ServeError | None:
        why = refused_origin(scope["method"], dict(scope.get("headers") or []), self.allowed)
        if why is None:
            return None
        return ServeError(
            403,
            f"cross-site request refused ({why}): this server has no token; allow that origin "
            "with --allow-origin ORIGIN, or start it with --token",
        )
