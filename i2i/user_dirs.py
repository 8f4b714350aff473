"""Where i2i keeps per-user files (torch-free): the one place that reads the XDG variables.

* cache (safe to delete; re-fetched or recomputed): ``$XDG_CACHE_HOME/i2i`` (``~/.cache/i2i``) - feature
  networks, datasets, FID features, verification and precision verdicts, TensorRT engines;
* data (kept): ``$XDG_DATA_HOME/i2i`` (``~/.local/share/i2i``) - user models, the download sha256 lock.

As the XDG spec says, a variable that is unset, empty or not an absolute path is ignored. Each use can
still be pointed elsewhere by its own ``I2I_*`` variable (:func:`env_path`).
"""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "").strip()
    return Path(value) if value and Path(value).is_absolute() else Path.home() / fallback


def user_cache_dir(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/i2i/<parts>`` (``~/.cache/i2i/...``)."""
    return _xdg("XDG_CACHE_HOME", ".cache").joinpath("i2i", *parts)


def user_data_dir(*parts: str) -> Path:
    """``$XDG_DATA_HOME/i2i/<parts>`` (``~/.local/share/i2i/...``)."""
    return _xdg("XDG_DATA_HOME", ".local/share").joinpath("i2i", *parts)


def env_path(var: str) -> Path | None:
    """The path an ``I2I_*`` override variable names (``~`` expanded), or None when it is unset or empty."""
    value = os.environ.get(var, "").strip()
    return Path(value).expanduser() if value else None


def package_dir() -> Path:
    """The installed ``i2i`` package folder (outputs never go in here)."""
    return Path(__file__).resolve().parent
