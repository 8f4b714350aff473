"""One line per request on stderr: ``POST /v1/translate model=apple2orange 200 412 ms`` (ASGI middleware).

The time runs from the request's arrival at the app to the last byte of the response; the status is the
one sent (a request whose client went away before an answer is logged with ``-``). Paths are logged
without their query string, except the ``model`` it names, so tokens or other parameters never reach the
log. ``i2i serve --quiet`` leaves the middleware out.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TextIO
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _printable(text: str, limit: int = 200) -> str:
    """``text`` with control characters escaped and cut to ``limit`` (a log line stays one line)."""
    return text.encode("unicode_escape").decode("ascii")[:limit]


class AccessLog:
    """Wraps an ASGI app; writes one line per HTTP request to ``stream`` (default: stderr)."""

    def __init__(self, app: ASGIApp, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status: list[int] = []

        async def sending(message: Message) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._write(scope, status[0] if status else None, time.perf_counter() - start)

    def _write(self, scope: Scope, status: int | None, seconds: float) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        model = f" model={_printable(query['model'][0], 80)}" if query.get("model") else ""
        line = (
            f"{scope.get('method', '?')} {_printable(scope.get('path', '?'))}{model} "
            f"{status if status is not None else '-'} {seconds * 1000:.0f} ms"
        )
        print(line, file=self.stream or sys.stderr, flush=True)
