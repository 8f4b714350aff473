"""Connection-level guards against idle and slow clients (the uvicorn side of the service's limits).

uvicorn on its own waits forever for the first request on a new connection and counts idle sockets
against its concurrency limit (answering a plain-text 503 once it is reached), so a few dozen silent
connections used to lock every client out. :func:`guarded_protocol` builds an HTTP/1.1 protocol class
(uvicorn's h11 protocol with three additions):

- a connection must deliver a complete request head within ``head_timeout`` seconds of opening (or of
  its previous response, on keep-alive), else it is closed; a head dribbled byte by byte counts as silent;
- at most ``max_connections`` are open: a new one first closes the oldest connection that has no request
  in progress, and only when every connection is busy is the newcomer answered with the service's JSON 503
  and Retry-After;
- request bodies are guarded by :class:`~i2i.serve.limits.BodyGuardMiddleware` (minimum rate, 408).

The subclass uses uvicorn's ``H11Protocol`` attributes ``connections``, ``cycle``, ``conn``, ``loop`` and
``transport``, which uvicorn 0.3x-0.5x all keep; a test drives every path through a real server.
"""

from __future__ import annotations

import asyncio
import json

#: Seconds a refused client is told to wait when every connection is busy.
CONNECTION_RETRY_AFTER = 1


def busy_response(detail: str, retry_after: int) -> bytes:
    """A complete HTTP/1.1 JSON 503 response with Retry-After that closes the connection."""
    body = json.dumps({"detail": detail}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"retry-after: {retry_after}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


def guarded_protocol(head_timeout: float, max_connections: int) -> type:
    """uvicorn's h11 protocol with a request-head deadline and an idle-evicting connection cap (see the
    module docstring); the connection table is shared by every connection of one server."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    live: dict[GuardedH11Protocol, None] = {}  # insertion order = age

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def _busy(self) -> bool:
            """True while a request is in progress on this connection (head received, no response yet)."""
            return self.cycle is not None and not self.cycle.response_complete

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(live) >= max_connections:
                victim = next((p for p in live if not p._busy()), None)
                if victim is None:
                    detail = (
                        f"server busy: all {max_connections} connections have a request in progress; "
                        f"retry in {CONNECTION_RETRY_AFTER} s"
                    )
                    transport.write(busy_response(detail, CONNECTION_RETRY_AFTER))
                    transport.close()
                    return
                victim._drop()
            live[self] = None
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            live.pop(self, None)
            self._disarm()
            super().connection_lost(exc)

        def _drop(self) -> None:
            live.pop(self, None)
            self._disarm()
            if not self.transport.is_closing():
                self.transport.close()

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(head_timeout, self._head_deadline, self.cycle)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_deadline(self, cycle_at_arm: object) -> None:
            self._head_timer = None
            if self.cycle is cycle_at_arm and not self._busy():
                self._drop()  # no new request head since the timer was armed

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

    return GuardedH11Protocol
