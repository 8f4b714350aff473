"""File helpers every layer shares (torch-free): the sha256 of a file and atomic writes.

One home for each, so the chunk size, the temp-file naming and the clean-up on failure cannot drift
between copies. An atomic write goes to a hidden temp file in the target's own folder (same filesystem)
and is renamed over the target only when complete: a crash or Ctrl-C leaves the old file, never half a
new one, and removes the temp file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

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
