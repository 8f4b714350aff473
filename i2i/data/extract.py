"""Unpack a downloaded archive without letting it write outside its folder (torch-free).

:func:`safe_extract` refuses the whole archive if any entry has an absolute path, a ``..`` component, a
symlink/hardlink that leaves the target (zip: any symlink entry), or is a device/fifo; tar extraction also
uses the ``tarfile`` ``"data"`` filter where Python has it. A progress bar counts the archive's entries.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from i2i.errors import I2IError

__all__ = ["safe_extract"]

_FILTER_ERROR: type[Exception] = getattr(tarfile, "FilterError", tarfile.TarError)


def _check_member_name(name: str, archive: Path) -> None:
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or re.match(r"^[A-Za-z]:", normalised):
        raise I2IError(
            f"{archive.name}: unsafe archive, entry {name!r} has an absolute path; nothing extracted"
        )
    if ".." in PurePosixPath(normalised).parts:
        raise I2IError(
            f"{archive.name}: unsafe archive, entry {name!r} climbs out with '..'; nothing extracted"
        )


def _escapes(base: str, link: str) -> bool:
    """Whether ``link`` (relative to the archive folder ``base``) resolves outside the archive root."""
    if link.startswith("/") or re.match(r"^[A-Za-z]:", link):
        return True
    depth = 0
    for part in PurePosixPath(base, link.replace("\\", "/")).parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _check_space(dest: Path, needed: int, archive: Path) -> None:
    free = shutil.disk_usage(dest).free
    if needed > free:
        raise I2IError(
            f"{archive.name}: needs {needed / 2**20:.0f} MiB to extract, "
            f"only {free / 2**20:.0f} MiB free at {dest}"
        )


def _members_bar(enabled: bool):  # -> rich Progress counting archive entries, or None
    if not enabled:
        return None
    from rich.console import Console

    from i2i.progress import progress_bar

    return progress_bar(Console(stderr=True), description="[bold]{task.description}")


def _extract_each(items: list, extract_one: Callable[[object], None], label: str, progress: bool) -> None:
    bar = _members_bar(progress)
    with bar if bar is not None else contextlib.nullcontext():
        task = bar.add_task(label, total=len(items)) if bar is not None else None
        for item in items:
            extract_one(item)
            if bar is not None:
                bar.advance(task)


def _extract_tar(archive: Path, dest: Path, progress: bool) -> None:
    with tarfile.open(archive, "r:*") as tf:
        members = tf.getmembers()
        for m in members:
            _check_member_name(m.name, archive)
            if m.issym():
                if _escapes(str(PurePosixPath(m.name).parent), m.linkname):
                    raise I2IError(
                        f"{archive.name}: unsafe archive, symlink {m.name!r} points outside the dataset "
                        f"({m.linkname}); nothing extracted"
                    )
            elif m.islnk():
                if _escapes("", m.linkname):
                    raise I2IError(
                        f"{archive.name}: unsafe archive, hardlink {m.name!r} points outside the dataset "
                        f"({m.linkname}); nothing extracted"
                    )
            elif not (m.isfile() or m.isdir()):
                raise I2IError(
                    f"{archive.name}: unsafe archive, {m.name!r} is a device or fifo; nothing extracted"
                )
        _check_space(dest, sum(m.size for m in members if m.isfile()), archive)
        if hasattr(tarfile, "data_filter"):
            extract_one = functools.partial(tf.extract, path=dest, filter="data")
        else:  # pragma: no cover - Python < 3.11.4; members were checked above
            extract_one = functools.partial(tf.extract, path=dest)
        _extract_each(members, extract_one, f"extracting {archive.name}", progress)


def _extract_zip(archive: Path, dest: Path, progress: bool) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        for info in infos:
            _check_member_name(info.filename, archive)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise I2IError(
                    f"{archive.name}: unsafe archive, {info.filename!r} is a symlink entry; nothing extracted"
                )
        _check_space(dest, sum(info.file_size for info in infos), archive)
        _extract_each(infos, functools.partial(zf.extract, path=dest), f"extracting {archive.name}", progress)


def safe_extract(
    archive: str | os.PathLike[str], dest: str | os.PathLike[str], *, progress: bool = False
) -> None:
    """Extract a ``.tar.gz``/``.tgz``/``.tar`` or ``.zip`` archive into the existing folder ``dest``.

    Every entry is checked before anything is written (see the module docstring).

    Raises:
        I2IError: unsafe entry, corrupt or unsupported archive, or not enough disk space.
    """
    archive, dest = Path(archive), Path(dest)
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            _extract_zip(archive, dest, progress)
        elif name.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")):
            _extract_tar(archive, dest, progress)
        else:
            raise I2IError(f"{archive.name}: unsupported archive type (expected .tar.gz or .zip)")
    except I2IError:
        raise
    except _FILTER_ERROR as err:
        raise I2IError(f"{archive.name}: unsafe archive ({err}); nothing kept") from None
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        raise I2IError(f"{archive.name}: corrupt or unreadable archive ({err})") from None
