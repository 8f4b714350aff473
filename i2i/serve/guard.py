"""Connection-level guards against idle and slow clients and connection floods (the uvicorn side of the
service's limits).

uvicorn on its own waits forever for the first request on a new connection and counts idle sockets
against its concurrency limit (answering a plain-text 503 once it is reached), so a few dozen silent
connections used to lock every client out. :func:`guarded_protocol` builds an HTTP/1.1 protocol class
(uvicorn's h11 protocol with these additions):

- a connection must deliver a complete request head within ``head_timeout`` seconds of opening (or of
  its previous response, on keep-alive), else it is closed; a head dribbled byte by byte counts as silent;
- at most ``max_connections`` are served at once. A newcomer beyond that first closes the oldest
  connection that has been idle (no request in progress) for :data:`EVICT_AFTER` seconds and has no
  unread bytes waiting in the kernel, so nothing the client sent is thrown away (closing a socket with
  unread data is what sends a TCP reset). When there is none, the newcomer waits *over the cap*: its
  request head is read aside, and when it is complete the connection is served if a place has freed up
  meanwhile, else answered with the service's JSON 503 and ``Retry-After`` (the work admitted ahead,
  :meth:`~i2i.serve.work.WorkPool.retry_after`) and closed gracefully: the answer is sent, the sending
  side shut, and whatever the client still sends is read and dropped for :data:`LINGER` seconds;
- only beyond ``hard_limit`` open connections (far above the cap, within the file-descriptor limit) is a
  newcomer closed unanswered;
- request bodies are guarded by :class:`~i2i.serve.limits.BodyGuardMiddleware` (minimum rate, deadline).

The subclass uses uvicorn's ``H11Protocol`` attributes ``cycle``, ``conn``, ``loop`` and ``transport``,
which uvicorn 0.3x-0.5x all keep; tests drive every path through a real server.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Callable

try:  # POSIX: how many received bytes wait unread in the kernel
    import fcntl
    import termios

    _FIONREAD: int | None = termios.FIONREAD
except ImportError:  # pragma: no cover - Windows
    _FIONREAD = None

#: Seconds a connection must have been idle before a newcomer may close it to make room.
EVICT_AFTER = 1.0
#: Seconds a refused connection keeps reading (and dropping) what its client still sends.
LINGER = 2.0
#: Largest request head read aside while waiting over the cap (uvicorn/h11 refuse larger ones anyway).
MAX_HEAD = 64 * 1024


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


def unread_bytes(transport: asyncio.BaseTransport) -> int:
    """Bytes the client has sent that this process has not read yet (0 where that cannot be known)."""
    sock = transport.get_extra_info("socket")
    if _FIONREAD is None or sock is None:
        return 0
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), _FIONREAD, b"\0\0\0\0"))[0]
    except (OSError, ValueError):
        return 0


def guarded_protocol(
    head_timeout: float,
    max_connections: int,
    hard_limit: int | None = None,
    retry_after: Callable[[], int] = lambda: 1,
) -> type:
    """uvicorn's h11 protocol with a request-head deadline, a connection cap that makes room from idle
    connections and answers the rest with a JSON 503, and a hard limit (see the module docstring).

    ``hard_limit``: open connections beyond which newcomers are closed unanswered (default 4 x the cap);
    ``retry_after``: seconds to tell a refused client. The connection tables are shared by every
    connection of one server."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    hard = max(max_connections, hard_limit if hard_limit is not None else 4 * max_connections)
    live: dict[GuardedH11Protocol, None] = {}  # served connections; insertion order = age
    over: dict[GuardedH11Protocol, None] = {}  # connections waiting over the cap

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _aside: bytearray | None = None  # the head read aside while over the cap
        _refused = False
        _idle_since = 0.0

        def _busy(self) -> bool:
            """True while a request is in progress on this connection (head received, no response yet)."""
            return self.cycle is not None and not self.cycle.response_complete

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._idle_since = self.loop.time()
            if len(live) < max_connections or _make_room():
                live[self] = None
            elif len(live) + len(over) < hard:
                over[self] = None
                self._aside = bytearray()
            else:
                transport.close()  # beyond the hard limit
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # lingering after the 503: read and drop
            if self._aside is None:
                super().data_received(data)
                return
            self._aside += data
            if b"\r\n\r\n" not in self._aside and len(self._aside) < MAX_HEAD:
                return
            if len(live) < max_connections or _make_room():
                over.pop(self, None)
                live[self] = None
                head, self._aside = bytes(self._aside), None
                super().data_received(head)
            else:
                self._refuse()

        def _refuse(self) -> None:
            self._refused = True
            self._aside = None
            self._disarm()
            wait = retry_after()
            detail = (
                f"server busy: all {max_connections} connections are in use; retry in {wait} s "
                "(the work admitted ahead)"
            )
            self.transport.write(busy_response(detail, wait))
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(LINGER, self._close)

        def connection_lost(self, exc: Exception | None) -> None:
            live.pop(self, None)
            over.pop(self, None)
            self._disarm()
            super().connection_lost(exc)

        def _close(self) -> None:
            live.pop(self, None)
            over.pop(self, None)
            self._disarm()
            if not self.transport.is_closing():
                self.transport.close()

        def _evictable(self, now: float) -> bool:
            return (
                self._aside is None
                and not self._refused
                and not self._busy()
                and now - self._idle_since >= EVICT_AFTER
                and unread_bytes(self.transport) == 0
            )

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
                self._close()  # no new request head since the timer was armed

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._idle_since = self.loop.time()
            if not self.transport.is_closing():
                self._arm()

    def _make_room() -> bool:
        """Close the oldest evictable connection; False when there is none."""
        if not live:
            return False
        now = next(iter(live)).loop.time()
        victim = next((p for p in live if p._evictable(now)), None)
        if victim is None:
            return False
        victim._close()
        return True

    return GuardedH11Protocol
