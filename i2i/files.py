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
import tempfile
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
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_output(path, "w", encoding="utf-8") as fh:
        fh.write(text)
