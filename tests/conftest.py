"""Shared test fixtures: where ../shared is, and skips when it is absent."""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
import traceback
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _share_the_cores_between_workers() -> None:
    """One OpenMP thread pool per pytest-xdist worker, sized so that the workers together use each core once.

    torch (and MKL) start one thread per core in every process; with a worker per core that is cores^2
    threads whose OpenMP barriers spin against each other: measured on 2 busy cores, the pix2pix, metrics
    and optimise tests took 445 s with 2 threads per worker and 123 s with 1. Set before any test module
    imports torch; subprocesses the tests start inherit it. An explicit OMP_NUM_THREADS wins.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = str(max(1, cores // workers))
    os.environ.setdefault("OMP_NUM_THREADS", threads)
    os.environ.setdefault("MKL_NUM_THREADS", threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


_share_the_cores_between_workers()


def shared_dir() -> Path:
    """The workplace's shared folder: $I2I_SHARED, else ../shared beside the repository."""
    return Path(os.environ.get("I2I_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture
def shared_fixtures() -> Path:
    path = shared_dir() / "fixtures" / "reference_networks"
    if not path.is_dir():
        pytest.skip(f"reference fixtures not found at {path} (set I2I_SHARED to the shared folder)")
    return path


@pytest.fixture
def shared_data() -> Path:
    path = shared_dir() / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set I2I_SHARED to the shared folder)")
    return path


@pytest.fixture(autouse=True)
def _onnxruntime_unless_asked(monkeypatch):
    """`--runtime auto` means onnxruntime in tests (tests of the runtime choice and of OpenVINO ask for it).

    OpenVINO inference run through the translate pipeline, followed in the same process by a fork (a torch
    DataLoader with workers) and a subprocess with pipes, crashes that process (SIGSEGV in the parent; seen
    with openvino 2026.4.1). The pytest process does all three across tests; `i2i translate` never forks.
    """
    monkeypatch.setenv("I2I_RUNTIME", "onnxruntime")


class _StackT(ctypes.Structure):
    _fields_ = [("ss_sp", ctypes.c_void_p), ("ss_flags", ctypes.c_int), ("ss_size", ctypes.c_size_t)]


_SS_DISABLE = 2  # Linux
#: The alternate signal stack put in place of an unmapped one; never freed.
_SPARE_SIGNAL_STACK = ctypes.create_string_buffer(1 << 16)


def _repair_alternate_signal_stack() -> None:
    """Give this thread a usable alternate signal stack again when its current one is no longer mapped.

    OpenVINO's CPU plugin (seen with 2026.4.1) gives the thread that compiles a model a new alternate signal
    stack and, when that ``ov.Core`` goes, unmaps it and puts back the stack it found: two sessions (each has
    its own Core) freed in the order they were made leave the thread's alternate stack pointing at unmapped
    memory. Python's signal handlers run on the alternate stack, so the next handled signal (Ctrl-C sent by
    a test, the SIGCHLD of a child's exit once a torch DataLoader has installed its handler) cannot be
    delivered and the kernel kills the process with SIGSEGV (si_code SI_KERNEL; faulthandler prints
    nothing): a pytest-xdist worker's "node down" in whichever later test got the signal.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    current = _StackT()
    if (
        libc.sigaltstack(None, ctypes.byref(current)) != 0
        or current.ss_flags & _SS_DISABLE
        or not current.ss_sp
    ):
        return
    start = current.ss_sp // mmap.PAGESIZE * mmap.PAGESIZE
    length = current.ss_sp + current.ss_size - start
    pages = (ctypes.c_ubyte * -(-length // mmap.PAGESIZE))()
    if libc.mincore(ctypes.c_void_p(start), ctypes.c_size_t(length), pages) == 0:
        return  # all mapped
    spare = _StackT(ctypes.addressof(_SPARE_SIGNAL_STACK), 0, len(_SPARE_SIGNAL_STACK))
    libc.sigaltstack(ctypes.byref(spare), None)


@pytest.fixture(autouse=True)
def _usable_alternate_signal_stack():
    """Before and after every test, an alternate signal stack that is mapped (see
    :func:`_repair_alternate_signal_stack`)."""
    _repair_alternate_signal_stack()
    yield
    _repair_alternate_signal_stack()


@pytest.fixture(autouse=True)
def _private_sha256_lock(tmp_path_factory, monkeypatch):
    """Every test records download pins in its own lock file, never the user's (see i2i.pins)."""
    monkeypatch.setenv("I2I_SHA256_LOCK", str(tmp_path_factory.mktemp("pins") / "sha256.lock"))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Tests marked ``isolated`` run their body in a forked child (fixtures are set up here, before the
    fork, so monkeypatches apply); a failure or skip in the child is reported here with its traceback."""
    if pyfuncitem.get_closest_marker("isolated") is None:
        return None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the body, report, and leave without running pytest's exit handlers
        os.close(read_end)
        code, report = 0, ""
        try:
            pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames})
        except pytest.skip.Exception as skipped:
            code, report = 2, str(skipped.msg)
        except BaseException:
            code, report = 1, traceback.format_exc()
        data = report.encode()
        while data:
            data = data[os.write(write_end, data) :]
        os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 1 << 16):
        chunks.append(chunk)
    os.close(read_end)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    report = b"".join(chunks).decode(errors="replace")
    if code == 2:
        pytest.skip(report)
    if code != 0:
        pytest.fail(f"in the isolated child (exit {code}):\n{report}", pytrace=False)
    return True
