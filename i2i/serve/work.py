"""Bounded work: the inference threads, the admission count, and how long the admitted work will take.

Admission is counted, not queued in memory: at most ``workers + queue`` requests hold a slot at once. A
slot is taken only after the whole body has arrived and its image header has been read (so slow
uploaders and broken images hold none). A slot is given back when its job finishes, or when the request
ends without submitting one. A job that times out while still waiting is cancelled; one already running
cannot be interrupted (onnxruntime has no cancel), so it keeps its slot until it ends and capacity stays
honest.

``Retry-After`` for a refused request is the work already admitted ahead of it, in seconds, spread over
the workers: every admitted job is its image's pixels times the model's seconds per pixel, learned from
that model's finished jobs (a decayed ratio of sums, so large jobs weigh by their size and a few fast
failures cannot pull it down). A running job is counted by what is left of it; one that has already run
longer than predicted is expected to take as long again, and raises the rate used for its model's
waiting jobs. Before any job of a model has finished, the other models' rate is used, else
:data:`DEFAULT_SECONDS_PER_PIXEL`.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from i2i.serve.limits import ServeError

T = TypeVar("T")

#: Seconds per pixel assumed before any job has finished (1 s per megapixel).
DEFAULT_SECONDS_PER_PIXEL = 1e-6
#: Weight of past jobs in the learned rate (each finished job multiplies the old sums by this).
DECAY = 0.8


class Ticket:
    """One admitted request's slot: its model, its pixels, when its job started; :meth:`release` is
    idempotent."""

    def __init__(self, pool: WorkPool, model: str, pixels: int) -> None:
        self._pool = pool
        self._released = False
        self._lock = threading.Lock()
        self.model = model
        self.pixels = max(1, pixels)
        self.started: float | None = None  # perf_counter() when a worker took the job
        self.submitted = False

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._pool._release(self)


class WorkPool:
    """``workers`` inference threads and room for ``queue`` waiting requests."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="i2i-serve")
        self._lock = threading.Lock()
        self._tickets: dict[Ticket, None] = {}  # admitted, in admission order
        self._sums: dict[str, tuple[float, float]] = {}  # model -> decayed (seconds, pixels) of finished jobs

    @property
    def admitted(self) -> int:
        """Requests holding a slot now (running or waiting)."""
        return len(self._tickets)

    def work_ahead(self) -> float:
        """Seconds until the work admitted now is done, spread over the workers (see the module doc)."""
        now = time.perf_counter()
        with self._lock:
            tickets = list(self._tickets)
            sums = dict(self._sums)
        overrun: dict[str, float] = {}  # model -> seconds per pixel its running jobs have already shown
        for t in tickets:
            if t.started is not None:
                overrun[t.model] = max(overrun.get(t.model, 0.0), (now - t.started) / t.pixels)
        total = 0.0
        for t in tickets:
            predicted = t.pixels * max(_rate(sums, t.model), overrun.get(t.model, 0.0))
            if t.started is None:
                total += predicted
            else:
                elapsed = now - t.started
                total += predicted - elapsed if predicted > elapsed else elapsed
        return total / self.workers

    def retry_after(self) -> int:
        """Whole seconds a refused client should wait: the work admitted ahead of it (at least 1)."""
        return max(1, math.ceil(self.work_ahead()))

    def admit(self, model: str = "", pixels: int = 1) -> Ticket:
        """A slot for a job on ``model`` over ``pixels``, or ServeError 503 with Retry-After when
        ``capacity`` requests already hold one."""
        with self._lock:
            if len(self._tickets) < self.capacity:
                ticket = Ticket(self, model, pixels)
                self._tickets[ticket] = None
                return ticket
        wait = self.retry_after()
        raise ServeError(
            503,
            f"server busy: {self.capacity} requests already running or queued; retry in {wait} s "
            "(the work admitted ahead)",
            {"Retry-After": str(wait)},
        )

    def _release(self, ticket: Ticket) -> None:
        with self._lock:
            self._tickets.pop(ticket, None)

    def _timed(self, ticket: Ticket, fn: Callable[..., T], *args: Any) -> T:
        ticket.started = start = time.perf_counter()
        result = fn(*args)  # a failed job teaches nothing about the model's speed
        seconds = time.perf_counter() - start
        with self._lock:
            old_seconds, old_pixels = self._sums.get(ticket.model, (0.0, 0.0))
            self._sums[ticket.model] = (DECAY * old_seconds + seconds, DECAY * old_pixels + ticket.pixels)
        return result

    async def run(
        self, ticket: Ticket, timeout: float, fn: Callable[..., T], *args: Any, limit: float | None = None
    ) -> T:
        """Run ``fn(*args)`` on a worker and await it; the ticket is released when the job ends.

        Raises:
            ServeError: 504 when ``timeout`` seconds pass first (a waiting job is cancelled); the message
                names ``limit`` (the request's whole time limit) when given.
        """
        future: Future[T] = self._executor.submit(self._timed, ticket, fn, *args)
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


def _rate(sums: dict[str, tuple[float, float]], model: str) -> float:
    """Learned seconds per pixel of ``model``; else of all models together; else the default."""
    if model in sums:
        seconds, pixels = sums[model]
    elif sums:
        seconds, pixels = (sum(v) for v in zip(*sums.values(), strict=True))
    else:
        return DEFAULT_SECONDS_PER_PIXEL
    return seconds / pixels if pixels > 0 else DEFAULT_SECONDS_PER_PIXEL
