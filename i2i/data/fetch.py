"""Download and safely unpack a catalog dataset into ``<data_root>/<name>``.

:func:`fetch_dataset` is idempotent: when ``<data_root>/<name>`` already has the expected split folders it
returns at once, without touching the network. Otherwise:

1. **Download** (:func:`download`) streams the archive to ``<data_root>/.downloads/<file>.part`` with a Rich
   progress bar (bytes, speed, ETA). A ``.part`` left by an interrupted run is resumed with an HTTP
   ``Range`` request (guarded by ``If-Range`` with the first response's ETag / Last-Modified); a server that
   answers ``200`` instead of ``206``, a ``Content-Range`` that does not start where the file ends, a
   ``416``, or a total size that differs from the one recorded restart the download from zero. When the
   body ends before ``Content-Length`` the run fails with an :class:`I2IError`; the ``.part`` is kept so
   the next run resumes, and nothing is extracted.
2. **Extract** (:func:`safe_extract`) refuses the whole archive if any entry has an absolute path, a ``..``
   component, a symlink/hardlink that leaves the target (zip: any symlink entry), or is a device/fifo;
   tar extraction also uses the ``tarfile`` ``"data"`` filter where Python has it. Extraction goes into a
   temporary folder under the data root, with a progress bar over the archive's entries.
3. **Verify** (:func:`verify_layout`): every expected split folder must exist (else :class:`I2IError`);
   image counts that differ from the catalog's are reported as warnings.
4. **Publish**: the dataset folder is renamed into place in one step, so ``<data_root>/<name>`` exists only
   when complete. The archive is then deleted.

Between 1 and 2 the archive's sha256 is checked against ``--sha256`` and the pin its first download
recorded (:mod:`i2i.pins`); after 4 the folder's tree hash is recorded for :func:`verify_dataset`.

This module does not import torch.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.client
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Literal

from i2i import __version__
from i2i.data.catalog import DatasetEntry, get_entry
from i2i.data.transport import check_transport, insecure_allowed
from i2i.data.transport import opener as transport_opener
from i2i.errors import DownloadError, I2IError
from i2i.imageio import is_image_path
from i2i.pins import get_pin, lock_path, sha256_file, verify_download, write_pin

__all__ = [
    "DatasetWarning",
    "count_images",
    "dataset_status",
    "download",
    "fetch_dataset",
    "missing_splits",
    "safe_extract",
    "verify_dataset",
    "verify_layout",
]

_CHUNK = 1 << 20
_FILTER_ERROR: type[Exception] = getattr(tarfile, "FilterError", tarfile.TarError)
_TIMEOUT_S = 60.0


class DatasetWarning(UserWarning):
    """A fetched dataset differs from the catalog in a way that does not stop it being used."""


WarningHandler = Callable[[str], None]


def _default_warning(message: str) -> None:
    warnings.warn(message, DatasetWarning, stacklevel=3)


# ----------------------------------------------------------------------------------------------- layout


def count_images(folder: Path) -> int:
    """Number of files with an image suffix directly inside ``folder`` (0 if it does not exist)."""
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.is_file() and is_image_path(p))


def missing_splits(root: Path, entry: DatasetEntry) -> list[str]:
    """Expected split folders that ``root`` lacks."""
    return [split for split in entry.split_names if not (root / split).is_dir()]


def verify_layout(root: Path, entry: DatasetEntry) -> list[str]:
    """Check ``root`` against the catalog layout and return warnings for image counts that differ.

    Raises:
        I2IError: an expected split folder is missing.
    """
    missing = missing_splits(root, entry)
    if missing:
        listed = ", ".join(f"{split}/" for split in missing)
        raise I2IError(f"{entry.name}: archive does not have the expected layout (missing {listed})")
    notes = []
    for split, expected in entry.splits:
        n = count_images(root / split)
        if expected is not None and n != expected:
            notes.append(f"{entry.name}/{split}: {n} images, the catalog expects {expected}")
        elif expected is None and n == 0:
            notes.append(f"{entry.name}/{split}: no images")
    return notes


def dataset_status(entry: DatasetEntry, data_root: Path) -> Literal["yes", "incomplete", "no"]:
    """Whether ``<data_root>/<name>`` is present with all its split folders."""
    target = Path(data_root) / entry.name
    if not target.is_dir():
        return "no"
    return "incomplete" if missing_splits(target, entry) else "yes"


# --------------------------------------------------------------------------------------------- download


def _read_meta(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _discard(*paths: Path) -> None:
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
        (on_warning or _default_warning)(notice)
    open_url = transport_opener(allowed).open
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    meta_path = dest.with_name(dest.name + ".part.json")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        have = part.stat().st_size if part.exists() else 0
        meta = _read_meta(meta_path) if have else {}
        if have and meta.get("url") not in (None, url):
            _discard(part, meta_path)
            continue
        known_total = meta.get("total") if isinstance(meta.get("total"), int) else None
        if have and known_total is not None:
            if have == known_total:  # finished earlier but not renamed
                os.replace(part, dest)
                _discard(meta_path)
                return dest
            if have > known_total:  # size disagrees: start again
                _discard(part, meta_path)
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
                _discard(part, meta_path)
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
                    _discard(part, meta_path)
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
        _discard(meta_path)
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


# ------------------------------------------------------------------------------------------- extraction


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


def _dataset_root_in(tmp: Path, entry: DatasetEntry) -> Path:
    """Where the split folders are after extraction: ``tmp/<name>``, the single top folder, or ``tmp``."""
    if not missing_splits(tmp, entry):
        return tmp
    if (tmp / entry.name).is_dir():
        return tmp / entry.name
    children = [c for c in tmp.iterdir() if c.name != "__MACOSX" and not c.name.startswith(".")]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return tmp


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive lock on ``path`` so two fetches of one dataset do not write the same ``.part`` (POSIX).

    The lock file is removed when the holder is done, so nothing is left behind. A waiter that wakes up on
    a file already removed (its inode no longer at ``path``) takes the lock again on the new file.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    while True:
        fh = open(path, "a")  # noqa: SIM115 - held across the yield
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            same = os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        fh.close()
    try:
        yield
    finally:
        _discard(path)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _remove_empty(*folders: Path) -> None:
    """Remove each folder that exists and is empty (in order), so a failed fetch leaves nothing."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def fetch_dataset(
    name: str,
    data_root: str | os.PathLike[str],
    base_url: str | None = None,
    progress: bool = True,
    *,
    on_warning: WarningHandler | None = None,
    sha256: str | None = None,
    insecure: bool | None = None,
) -> Path:
    """Make the catalog dataset ``name`` available as ``<data_root>/<name>`` and return that path.

    The archive's sha256 is checked against ``sha256`` (when given) and against the pin recorded by the
    first download of this dataset (:mod:`i2i.pins`; recorded now if there is none); the extracted
    folder's tree hash is recorded with it for ``i2i data verify``.

    Args:
        name: a catalog name (:func:`i2i.data.catalog.catalog_names`).
        data_root: folder holding datasets; created if needed. Downloads go to ``<data_root>/.downloads``.
        base_url: server root replacing ``https://efrosgans.eecs.berkeley.edu`` (else
            ``$I2I_DATASET_BASE_URL``).
        progress: show a Rich progress bar on stderr.
        on_warning: called with each warning (a count mismatch, a download without TLS, a sum trusted on
            first use); default ``warnings.warn`` with :class:`DatasetWarning`.
        insecure: allow a non-https URL (default: ``$I2I_INSECURE_DOWNLOADS``; :mod:`i2i.data.transport`).

    Raises:
        I2IError: unknown name, a partial folder already at the target, a download or extraction problem, or
            an archive without the expected split folders.
    """
    entry = get_entry(name)
    warn = on_warning or _default_warning
    root = Path(data_root).expanduser()
    target = root / entry.name
    if target.exists():
        return _existing(target, entry)
    created_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    downloads = root / ".downloads"
    downloads.mkdir(exist_ok=True)
    try:
        return _fetch_locked(entry, root, downloads, base_url, progress, warn, sha256, insecure)
    finally:  # a failed first fetch leaves no empty folders behind (a .part to resume is kept)
        _remove_empty(downloads, *([root] if created_root else []))


def _fetch_locked(
    entry: DatasetEntry,
    root: Path,
    downloads: Path,
    base_url: str | None,
    progress: bool,
    warn: WarningHandler,
    sha256: str | None,
    insecure: bool | None,
) -> Path:
    target = root / entry.name
    with _locked(downloads / f"{entry.name}.lock"):
        if target.exists():  # another process finished while we waited
            return _existing(target, entry)
        for stale in root.glob(f".{entry.name}.extract-*"):
            shutil.rmtree(stale, ignore_errors=True)
        archive = downloads / entry.filename
        url = entry.url(base_url)
        if not archive.exists():
            download(url, archive, progress=progress, insecure=insecure, on_warning=warn)
        try:
            verify_download(pin_key(entry.name), archive, url, pinned=sha256, on_first_use=warn)
        except I2IError:
            _discard(archive)
            raise
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.extract-", dir=root))
        try:
            try:
                safe_extract(archive, tmp, progress=progress)
                found = _dataset_root_in(tmp, entry)
                notes = verify_layout(found, entry)
            except I2IError as err:
                _discard(archive)
                raise I2IError(f"{err} (the download was removed)") from None
            os.rename(found, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _discard(archive)
        files, tree = tree_sha256(target)
        record = get_pin(pin_key(entry.name)) or {}
        write_pin(pin_key(entry.name), {**record, "tree_sha256": tree, "files": files})
    for note in notes:
        warn(note)
    return target


def pin_key(name: str) -> str:
    """The :mod:`i2i.pins` key of a catalog dataset."""
    return f"dataset:{name}"


def tree_sha256(folder: Path) -> tuple[int, str]:
    """(number of files, sha256 over every file's relative path and sha256, in sorted order) of
    ``folder``: one digest that changes when any file is added, removed, renamed or altered."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        lines.append(f"{path.relative_to(folder).as_posix()}\0{sha256_file(path)}\n")
    return len(lines), hashlib.sha256("".join(lines).encode()).hexdigest()


def verify_dataset(name: str, data_root: Path) -> str:
    """Check ``<data_root>/<name>`` against the tree hash recorded when it was fetched; one line saying
    what matched.

    Raises:
        I2IError: no such folder, nothing recorded, or the files differ.
    """
    entry = get_entry(name)
    target = Path(data_root).expanduser() / entry.name
    if not target.is_dir():
        raise I2IError(f"{target}: no such dataset folder; run `i2i data fetch {name}` first")
    record = get_pin(pin_key(entry.name))
    if not record or "tree_sha256" not in record:
        raise I2IError(f"{name}: no sha256 recorded for it in {lock_path()} (it was not fetched by i2i)")
    files, tree = tree_sha256(target)
    if tree != record["tree_sha256"]:
        raise I2IError(
            f"{target}: files differ from those fetched on {record.get('recorded', '?')} "
            f"({files} files now, {record.get('files', '?')} then); fetch it again into an empty folder"
        )
    when = record.get("recorded", "?")
    return f"{target}: {files} files match the download of {when} (archive sha256 {record['sha256']})"


def _existing(target: Path, entry: DatasetEntry) -> Path:
    if not target.is_dir():
        raise I2IError(f"{target}: exists and is not a folder")
    missing = missing_splits(target, entry)
    if missing:
        listed = ", ".join(f"{split}/" for split in missing)
        raise I2IError(f"{target}: exists but is incomplete (missing {listed}); move it away and fetch again")
    return target
