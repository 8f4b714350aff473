"""Download and safely unpack a catalog dataset into ``<data_root>/<name>``.

:func:`fetch_dataset` is idempotent: when ``<data_root>/<name>`` already has the expected split folders it
returns at once, without touching the network. Otherwise:

1. **Download** (:func:`~i2i.data.download.download`) streams the archive to
   ``<data_root>/.downloads/<file>.part`` with a Rich progress bar, resuming an interrupted ``.part``;
   nothing is extracted from an incomplete download.
2. **Extract** (:func:`~i2i.data.extract.safe_extract`) refuses the whole archive if any entry could land
   outside the target; extraction goes into a temporary folder under the data root.
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
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from i2i.data.catalog import DatasetEntry, get_entry
from i2i.data.download import DatasetWarning, WarningHandler, default_warning, discard, download
from i2i.data.extract import safe_extract
from i2i.errors import I2IError
from i2i.imageio import is_image_path
from i2i.pins import get_pin, lock_path, sha256_file, verify_download, write_pin

__all__ = [
    "DatasetWarning",
    "WarningHandler",
    "count_images",
    "dataset_status",
    "download",
    "fetch_dataset",
    "missing_splits",
    "safe_extract",
    "verify_dataset",
    "verify_layout",
]


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
        discard(path)
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
    warn = on_warning or default_warning
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
            discard(archive)
            raise
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.extract-", dir=root))
        try:
            try:
                safe_extract(archive, tmp, progress=progress)
                found = _dataset_root_in(tmp, entry)
                notes = verify_layout(found, entry)
            except I2IError as err:
                discard(archive)
                raise I2IError(f"{err} (the download was removed)") from None
            os.rename(found, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        discard(archive)
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
