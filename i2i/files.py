"""File helpers every layer shares (torch-free): the sha256 of a file, atomic writes, JSON cache files, and
opening only regular files (a FIFO, socket or device named like an image is refused without blocking).

One home for each, so the chunk size, the temp-file naming and the clean-up on failure cannot drift
between copies. An atomic write goes to a hidden temp file in the target's own folder (same filesystem)
and is renamed over the target only when complete: a crash or Ctrl-C leaves the old file, never half a
new one, and removes the temp file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Lower-case hex sha256 of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], mode: str = "wb", encoding: str | None = None
) -> Iterator[IO]:
    """``with atomic_output(path) as fh: ...`` writes ``path`` atomically (``mode`` "wb" or "w").

    The parent folder is created. On any exception the target is untouched and the temp file removed.
    The new file gets the permissions a plain ``open`` would give it (0o666 less the umask), not
    ``mkstemp``'s owner-only 0o600.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(target)
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _create_temp(target: Path) -> tuple[int, str]:
    """A new hidden temp file beside ``target``, opened for writing, mode 0o666 less the umask."""
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), str(tmp)
        except FileExistsError:
            continue


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_output(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def read_json_cache(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object in a cache or sidecar file; ``{}`` when it is missing, unreadable or not an object
    (such files are an optimisation only, rebuilt when lost)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json_cache(path: str | os.PathLike[str], data: dict[str, Any]) -> None:
    """Replace a JSON cache file atomically (indented, keys sorted); errors are ignored (a cache is an
    optimisation only)."""
    with contextlib.suppress(OSError), atomic_output(path, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)


class NotARegularFileError(OSError):
    """A path that cannot be read as a regular file; ``str()`` is the one-line reason (no path)."""


_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind_reason(mode: int) -> str:
    kind = next((name for test, name in _SPECIAL_KINDS if test(mode)), "a special file")
    return f"not a regular file: {kind}"


def _open_failure_reason(path: str | os.PathLike[str], err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if err.errno == errno.ENOENT:
        return "broken symlink (its target does not exist)" if os.path.islink(path) else "no such file"
    return err.strerror or type(err).__name__


def regular_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as a regular file (one line, e.g. ``symlink loop ...``,
    ``not a regular file: a FIFO (named pipe)``), or None when it is one. Symlinks are followed; the path
    is never opened, so this never blocks.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        return _open_failure_reason(path, err)
    return None if stat.S_ISREG(mode) else _kind_reason(mode)


def open_regular_file(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open ``path`` for binary reading if, and only if, it is a regular file.

    The open is non-blocking and the kind is checked on the open descriptor, so a FIFO with no writer
    cannot hang the caller (as a check before a plain ``open`` could, were the file swapped in between).

    Raises:
        NotARegularFileError: a missing file, a broken symlink or symlink loop, a folder, FIFO, socket or
            device, or an open refused by the system; the message is the one-line reason.
    """
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise NotARegularFileError(_open_failure_reason(path, err)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFileError(_kind_reason(mode))
        if flags & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
