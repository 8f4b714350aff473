"""Bounded requests: the one error type that becomes an HTTP status, and the body guard (size, minimum
rate, deadline, a total byte budget counted as bytes arrive).

The worker pool and its admission queue are :mod:`i2i.serve.work`; slots are taken only after the whole
body has arrived, so uploads in progress hold none.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from i2i.errors import I2IError


class ServeError(I2IError):
    """An error with the HTTP status (and headers) it is answered with; the message is the ``detail``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class BodyTooLarge(ServeError):
    """A request body over the limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body too large: the limit is {limit:,} bytes ({limit / 2**20:.1f} MiB)"
        )


@dataclass(eq=False)
class BodyGuardMiddleware:
    """ASGI middleware that bounds request bodies in size, speed, time and total memory.

    The body's clock starts when its request head is complete (the head has its own deadline, see
    :mod:`i2i.serve.guard`):

    - 413 for a declared Content-Length over ``max_bytes`` before anything is read, and
      :class:`BodyTooLarge` inside the app as soon as a streamed body passes the limit;
    - 408 (connection closed) when the body falls behind ``min_rate`` bytes/s after ``grace`` seconds:
      byte ``n`` must have arrived by ``start + grace + n / min_rate``, so a silent or trickling
      uploader is cut off while any real client passes;
    - 408 when the whole body has not arrived within ``deadline`` seconds (None: no such limit), however
      steadily it comes;
    - 503 with Retry-After when the bytes held by all requests together would pass ``budget``. Bytes are
      counted as they arrive, never reserved from a declared length, so connections that declare a
      large body and send nothing hold nothing.
    """

    app: Callable
    max_bytes: int
    min_rate: float
    grace: float
    budget: int
    retry_after: int = 1
    deadline: float | None = None
    held: int = field(default=0, init=False)  # bytes received by requests still running

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared_text = headers.get(b"content-length")
        declared = int(declared_text) if declared_text is not None and declared_text.isdigit() else 0
        if declared > self.max_bytes:
            await send_json(send, BodyTooLarge(self.max_bytes), close=True)
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = math.inf if self.deadline is None else start + self.deadline
        seen = 0
        complete = False

        async def guarded_receive() -> dict:
            nonlocal seen, complete
            if complete:  # body done: later calls only wait for a disconnect, which has no deadline
                return await receive()
            by_rate = start + self.grace + seen / self.min_rate
            try:
                message = await asyncio.wait_for(receive(), max(0.0, min(by_rate, end) - loop.time()))
            except TimeoutError:
                raise self._too_slow(seen, loop.time() - start) from None
            if message["type"] == "http.request":
                chunk = len(message.get("body", b""))
                if seen + chunk > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                if chunk and self.held + chunk > self.budget:
                    raise self._over_budget()
                seen += chunk
                self.held += chunk
                complete = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, guarded_receive, send)
        finally:
            self.held -= seen

    def _too_slow(self, seen: int, elapsed: float) -> ServeError:
        close = {"Connection": "close"}
        if self.deadline is not None and elapsed >= self.deadline:
            return ServeError(408, f"request body not received within {self.deadline:g} s", close)
        return ServeError(
            408,
            f"request body too slow: {seen:,} bytes in {elapsed:.1f} s; "
            f"send at least {self.min_rate / 1024:g} KiB/s",
            close,
        )

    def _over_budget(self) -> ServeError:
        return ServeError(
            503,
            f"server busy: uploads in progress hold {self.budget / 2**20:.0f} MiB; "
            f"retry in {self.retry_after} s",
            {"Retry-After": str(self.retry_after), "Connection": "close"},
        )


async def send_json(send: Callable, err: ServeError, close: bool = False) -> None:
    """Answer a raw ASGI request with ``{"detail": message}`` and the error's status and headers."""
    import json

    body = json.dumps({"detail": str(err)}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RefusingMiddleware:
    """ASGI middleware that answers an HTTP request itself, with a one-line JSON error, the body unread and
    the connection closed, when :meth:`refusal` returns one; every other request goes on to ``app``."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def refusal(self, scope: dict) -> ServeError | None:
        """The error to answer this HTTP request with, or None to let it through."""
        raise NotImplementedError

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            err = self.refusal(scope)
            if err is not None:
                await send_json(send, err, close=True)
                return
        await self.app(scope, receive, send)
