"""Turn a dataset argument (a folder or a catalog name) into a folder on disk. Does not import torch."""

from __future__ import annotations

import os
from pathlib import Path

from i2i.data.catalog import CATALOG
from i2i.data.fetch import WarningHandler, fetch_dataset
from i2i.errors import DownloadError, I2IError
from i2i.user_dirs import env_path, user_cache_dir

__all__ = ["DATA_ENV", "default_data_root", "resolve_dataset"]

DATA_ENV = "I2I_DATA"


def default_data_root() -> Path:
    """``$I2I_DATA`` if set, else the per-user cache ``$XDG_CACHE_HOME/i2i/datasets``
    (``~/.cache/i2i/datasets`` when ``XDG_CACHE_HOME`` is unset or not absolute, as the XDG spec says)."""
    return env_path(DATA_ENV) or user_cache_dir("datasets")


def not_found_message(name: str, looked_in: list[Path], err: DownloadError) -> str:
    """One line: where dataset ``name`` was looked for, the download that failed, and how to pass it."""
    places = ", ".join(str(p) for p in looked_in)
    reason = str(err).removeprefix(f"cannot download {err.url}: ")
    return (
        f"dataset {name!r} not found (looked in: {places}) and the download from {err.url} failed "
        f"({reason}); pass the data with --data PATH (a folder with the dataset's split folders), "
        f"--data-root DIR (a folder holding {name}/), or the environment variable {DATA_ENV}=DIR"
    )


def _looks_like_path(value: str) -> bool:
    return any(sep in value for sep in ("/", "\\")) or value.startswith(("~", "."))


def resolve_dataset(
    name_or_path: str | os.PathLike[str],
    data_root: str | os.PathLike[str] | None = None,
    fetch: bool = True,
    *,
    base_url: str | None = None,
    progress: bool = True,
    on_warning: WarningHandler | None = None,
) -> Path:
    """Find a dataset folder, in this order:

    1. ``name_or_path`` is an existing folder: that folder.
    2. ``<data_root>/<name>`` exists (``data_root`` defaults to :func:`default_data_root`): that folder.
    3. ``name`` is in the catalog: fetch it into ``<data_root>/<name>`` (when ``fetch`` is True).

    Raises:
        I2IError: a path that does not exist, a file instead of a folder, a catalog dataset that is absent
            with ``fetch=False``, or an unknown name (the message lists the catalog).
    """
    raw = os.fspath(name_or_path)
    candidate = Path(raw).expanduser()
    if candidate.exists():
        if not candidate.is_dir():
            raise I2IError(f"{candidate}: is a file, expected a dataset folder")
        return candidate
    if _looks_like_path(raw):
        raise I2IError(f"{candidate}: no such folder")
    root = Path(data_root).expanduser() if data_root is not None else default_data_root()
    local = root / raw
    if local.is_dir():
        return local
    if raw in CATALOG:
        if not fetch:
            raise I2IError(f"dataset {raw!r} is not under {root}; run `i2i data fetch {raw}` to download it")
        try:
            return fetch_dataset(raw, root, base_url=base_url, progress=progress, on_warning=on_warning)
        except DownloadError as err:
            raise I2IError(not_found_message(raw, [candidate.absolute(), local], err)) from None
    raise I2IError(
        f"{raw!r} is neither a folder nor a dataset under {root}; known datasets: {', '.join(CATALOG)}"
    )
