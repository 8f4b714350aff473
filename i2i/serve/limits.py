"""Bounded work and bounded requests: the worker pool with its admission queue, the body-size limit, and
the one error type that becomes an HTTP status.

Admission is counted, not queued in memory: at most ``workers + queue`` requests hold a slot at once. A
slot is taken only after the whole body has arrived (so slow uploaders cannot hold slots); the bodies
being received are bounded separately by :class:`BodyGuardMiddleware` (size, minimum rate, a total
byte budget). A slot is given
back when its job finishes, or when the request ends without submitting one. A job that times out while
still waiting is cancelled; one already running cannot be interrupted (onnxruntime has no cancel), so it
keeps its slot until it ends and capacity stays honest.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from i2i.errors import I2IError

T = TypeVar("T")


class ServeError(I2IError):
    """An error with the HTTP status (and headers) it is answered with; the message is the ``detail``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class Ticket:
    """One admitted request's slot; :meth:`release` is idempotent."""

    def __init__(self, pool: WorkPool) -> None:
        self._pool = pool
        self._released = False
        self._lock = threading.Lock()
        self.submitted = False

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._pool._release()


class WorkPool:
    """``workers`` inference threads and room for ``queue`` waiting requests."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="i2i-serve")
        self._lock = threading.Lock()
        self._admitted = 0
        self._mean_seconds = 1.0  # running mean of job time, for Retry-After

    @property
    def admitted(self) -> int:
        """Requests holding a slot now (running or waiting)."""
        return self._admitted

    def retry_after(self) -> int:
        """Seconds a refused client should wait: about one queue's worth of jobs per worker."""
        return max(1, math.ceil(self._mean_seconds * self.capacity / self.workers))

    def admit(self) -> Ticket:
        """A slot, or ServeError 503 with Retry-After when ``capacity`` requests already hold one."""
        with self._lock:
            if self._admitted >= self.capacity:
                wait = self.retry_after()
                raise ServeError(
                    503,
                    f"server busy: {self.capacity} requests already running or queued; retry in {wait} s",
                    {"Retry-After": str(wait)},
                )
            self._admitted += 1
        return Ticket(self)

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def _timed(self, fn: Callable[..., T], *args: Any) -> T:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            seconds = time.perf_counter() - start
            with self._lock:
                self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds

    async def run(
        self, ticket: Ticket, timeout: float, fn: Callable[..., T], *args: Any, limit: float | None = None
    ) -> T:
        """Run ``fn(*args)`` on a worker and await it; the ticket is released when the job ends.

        Raises:
            ServeError: 504 when ``timeout`` seconds pass first (a waiting job is cancelled); the message
                names ``limit`` (the request's whole time limit) when given.
        """
        future: Future[T] = self._executor.submit(self._timed, fn, *args)
        ticket.submitted = True
        future.add_done_callback(lambda _: ticket.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), max(timeout, 0.0))
        except TimeoutError:
            future.cancel()  # frees the slot now if the job had not started
            limit = timeout if limit is None else limit
            raise ServeError(504, f"timed out: no result within {limit:g} s") from None

    def shutdown(self) -> None:
        """Stop taking jobs; cancel waiting ones (running ones finish)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class BodyTooLarge(ServeError):
    """A request body over the limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body too large: the limit is {limit:,} bytes ({limit / 2**20:.1f} MiB)"
        )


class BodyGuardMiddleware:
    """ASGI middleware that bounds request bodies in size, speed and total memory.

    - 413 for a declared Content-Length over ``max_bytes`` before anything is read, and
      :class:`BodyTooLarge` inside the app as soon as a streamed body passes the limit;
    - 408 (connection closed) when the body falls behind ``min_rate`` bytes/s after ``grace`` seconds:
      byte ``n`` must have arrived by ``start + grace + n / min_rate``, so a silent or trickling
      uploader is cut off while any real client passes;
    - 503 with Retry-After when the bodies being held by all requests together would pass ``budget``
      bytes (a declared length is reserved up front; a chunked body counts as it arrives).
    """

    def __init__(
        self, app: Callable, max_bytes: int, min_rate: float, grace: float, budget: int, retry_after: int = 1
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.min_rate = min_rate
        self.grace = grace
        self.budget = budget
        self.retry_after = retry_after
        self.held = 0  # bytes reserved or received by requests still running

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
        if declared and self.held + declared > self.budget:
            await send_json(send, self._over_budget(), close=True)
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        reserved = declared
        seen = 0
        self.held += reserved

        complete = False

        async def guarded_receive() -> dict:
            nonlocal seen, reserved, complete
            if complete:  # body done: later calls only wait for a disconnect, which has no deadline
                return await receive()
            deadline = start + self.grace + seen / self.min_rate
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise ServeError(
                    408,
                    f"request body too slow: {seen:,} bytes in {loop.time() - start:.1f} s; "
                    f"send at least {self.min_rate / 1024:g} KiB/s",
                    {"Connection": "close"},
                ) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                if seen > reserved:
                    self.held += seen - reserved
                    reserved = seen
                    if self.held > self.budget:
                        raise self._over_budget()
                complete = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, guarded_receive, send)
        finally:
            self.held -= reserved

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
