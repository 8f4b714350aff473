"""Who may talk to the service: the optional bearer token, and the Host check that stops DNS rebinding.

With a token, every request needs ``Authorization: Bearer <token>`` except the health check, the static
web page and the API description (``/docs``, ``/openapi.json``: they hold no data, and a browser cannot
send a bearer header when it follows a link; the page's own API calls send the token the user types).

Without a token, a web page on another site could still reach a loopback server by pointing a domain it
controls at 127.0.0.1 (DNS rebinding): the browser would then send ``Host: that-domain``. So tokenless
servers answer only requests whose Host is an IP literal, ``localhost``, or a name given with
``--allow-host``.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Iterable

from i2i.serve.limits import RefusingMiddleware, ServeError

#: Paths answered without a token: health, the page and its assets, the API description.
OPEN_PATHS = frozenset({"/health", "/", "/favicon.ico", "/docs", "/openapi.json"})
OPEN_PREFIXES = ("/static/",)


def is_open(path: str) -> bool:
    """True for paths that never need the token."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class BearerAuthMiddleware(RefusingMiddleware):
    """ASGI middleware: 401 (with ``WWW-Authenticate: Bearer``) unless the request carries the token."""

    def __init__(self, app: Callable, token: str) -> None:
        super().__init__(app)
        self._token = token.encode()

    def refusal(self, scope: dict) -> ServeError | None:
        if is_open(scope["path"]) or scope["method"] == "OPTIONS":
            return None
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if not header:
            err = ServeError(401, "missing token: send 'Authorization: Bearer <token>'")
        elif scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self._token):
            err = ServeError(401, "invalid token")
        else:
            return None
        err.headers["WWW-Authenticate"] = 'Bearer realm="i2i"'
        return err


def host_name(header: str) -> str:
    """The host part of a Host header, lower-case, without port or IPv6 brackets."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1:].partition("]")[0]
    return text.rpartition(":")[0] if text.count(":") == 1 else text


def host_allowed(header: str, allowed: Iterable[str] = ()) -> bool:
    """True for an IP literal, ``localhost``, or a name in ``allowed`` (case-insensitive)."""
    name = host_name(header)
    if name == "localhost" or name in {a.lower() for a in allowed}:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheckMiddleware(RefusingMiddleware):
    """ASGI middleware for tokenless servers: 400 for a Host header that is a name not allowed."""

    def __init__(self, app: Callable, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(app)
        self.allowed = allowed

    def refusal(self, scope: dict) -> ServeError | None:
        host = dict(scope.get("headers") or []).get(b"host")
        if host is None or host_allowed(host.decode("latin-1"), self.allowed):
            return None
        shown = host.decode("latin-1")[:100]
        return ServeError(
            400,
            f"host {shown!r} is not allowed: use this server by IP address or localhost, "
            "or start it with --allow-host NAME or --token",
        )
