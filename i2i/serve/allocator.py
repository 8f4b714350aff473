"""Giving freed memory back to the system (glibc; a no-op with any other C library).

A service that decodes and translates a large image now and then should not keep that image's peak for
the rest of its life. Two things keep it on glibc: large buffers served from the heap instead of their own
mappings (glibc raises its mmap threshold, up to 32 MiB, each time such a mapping is freed, so after a few
large jobs numpy arrays of several MiB come from the heap and fragment it), and freed heap pages the
allocator keeps for later. :func:`tune_allocator` pins the threshold at :data:`MMAP_THRESHOLD` (every
buffer at least that large is its own mapping, unmapped when freed) and :func:`release_memory` trims
every arena after each job.

The runtimes keep buffers of their own, sized by the largest image they have run: OpenVINO's compiled
model keeps its intermediate memory (hundreds of MiB after a few megapixels through ``starry``) until
asked to release it, which must not happen while it infers. :class:`MemoryReleaser` does that after large
jobs, once no job is running. onnxruntime's CPU arena is not reached from here (see the README's serve
limits for what stays, measured).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

#: mallopt parameter numbers (glibc's malloc.h).
M_MMAP_THRESHOLD = -3
#: Buffers at least this large get their own mapping (glibc's default starts at 128 KiB and drifts up).
MMAP_THRESHOLD = 1 * 2**20
#: Jobs over this many pixels leave runtime buffers worth releasing.
LARGE_JOB_PIXELS = 1_000_000


@cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018  (glibc only)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None
    return libc


def tune_allocator() -> bool:
    """Pin glibc's mmap threshold at :data:`MMAP_THRESHOLD` for this process; False where not glibc."""
    libc = _glibc()
    return libc is not None and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_memory() -> None:
    """Ask glibc to return freed heap memory of every arena to the system (no-op elsewhere)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def release_session(session: Any) -> None:
    """Ask a loaded model to free the buffers it keeps between calls: its ``release_memory()``
    (:meth:`~i2i.sessions.openvino_session.OpenVINOSession.release_memory`; onnxruntime sessions have
    none). Call it only while the model is not inferring."""
    hook = getattr(session, "release_memory", None)
    if callable(hook):
        hook()


class MemoryReleaser:
    """Gives memory back after jobs: glibc's heap after every job, and the runtime buffers of the models
    that ran a large job (over ``large_pixels``) as soon as no job is running, while new jobs wait."""

    def __init__(self, large_pixels: int = LARGE_JOB_PIXELS) -> None:
        self.large_pixels = large_pixels
        self._cond = threading.Condition()
        self._active = 0
        self._releasing = False
        self._dirty: dict[int, Any] = {}  # id(session) -> session that ran a large job since the last release

    @contextmanager
    def job(self, session: Any, pixels: int) -> Iterator[None]:
        """Wrap one job of ``pixels`` on ``session`` (runs on a worker thread)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._releasing)
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if pixels > self.large_pixels:
                    self._dirty[id(session)] = session
                sessions = list(self._dirty.values()) if self._active == 0 else []
                self._dirty = {} if sessions else self._dirty
                self._releasing = bool(sessions)
            try:
                for dirty in sessions:
                    release_session(dirty)
            finally:
                if sessions:
                    with self._cond:
                        self._releasing = False
                        self._cond.notify_all()
                release_memory()
