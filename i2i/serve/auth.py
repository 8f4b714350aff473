"""Optional bearer-token auth: every request needs ``Authorization: Bearer <token>`` except the health
check and the static web page (which holds no data; its API calls send the token the user types)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from i2i.serve.limits import ServeError, send_json

#: Paths answered without a token: health, the page and its assets.
OPEN_PATHS = frozenset({"/health", "/", "/favicon.ico"})
OPEN_PREFIXES = ("/static/",)


def is_open(path: str) -> bool:
    """True for paths that never need the token."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class BearerAuthMiddleware:
    """ASGI middleware: 401 (with ``WWW-Authenticate: Bearer``) unless the request carries the token."""

    def __init__(self, app: Callable, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or is_open(scope["path"]) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if not header:
            err = ServeError(401, "missing token: send 'Authorization: Bearer <token>'")
        elif scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self._token):
            err = ServeError(401, "invalid token")
        else:
            await self.app(scope, receive, send)
            return
        err.headers["WWW-Authenticate"] = 'Bearer realm="i2i"'
        await send_json(send, err, close=True)
