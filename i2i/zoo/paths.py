"""Where named models live (torch-free).

* Shipped models: ``i2i/weights/`` inside an installed package (the wheel packages the repository's
  ``weights/`` there), else ``weights/`` beside the package in a source checkout or editable install
  (``Path(i2i.__file__).parents[1] / "weights"``); ``$I2I_WEIGHTS_DIR`` overrides both.
* User models: ``$I2I_MODELS_DIR``, else ``$XDG_DATA_HOME/i2i/models`` (``~/.local/share/i2i/models``).
* The sha256 verification cache: ``$XDG_CACHE_HOME/i2i/verified-models.json`` (``~/.cache/...``).
* The reduced-precision quality verdicts: ``$XDG_CACHE_HOME/i2i/precision-gate.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

import i2i

WEIGHTS_ENV = "I2I_WEIGHTS_DIR"
MODELS_ENV = "I2I_MODELS_DIR"
REGISTRY_FILE = "registry.toml"
USER_REGISTRY_FILE = "models.json"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "").strip()
    return Path(value) if value and Path(value).is_absolute() else Path.home() / fallback


def package_dir() -> Path:
    """The installed ``i2i`` package folder (outputs never go in here)."""
    return Path(i2i.__file__).resolve().parent


def weights_dir() -> Path:
    """The shipped-models folder: inside the package when installed, else the checkout's ``weights/``."""
    override = os.environ.get(WEIGHTS_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    installed = package_dir() / "weights"
    if (installed / REGISTRY_FILE).is_file():
        return installed
    return package_dir().parent / "weights"


def shipped_registry_path() -> Path:
    return weights_dir() / REGISTRY_FILE


def user_models_dir() -> Path:
    """Per-user models folder (``NAME.onnx`` files plus ``models.json``)."""
    override = os.environ.get(MODELS_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return _xdg("XDG_DATA_HOME", ".local/share") / "i2i" / "models"


def user_registry_path() -> Path:
    return user_models_dir() / USER_REGISTRY_FILE


def verify_cache_path() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "i2i" / "verified-models.json"


def precision_gate_cache_path() -> Path:
    """Where the runtime remembers which models pass the reduced-precision quality gate on this machine."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "i2i" / "precision-gate.json"


def samples_dir() -> Path:
    """The bundled sample images (``i2i/assets/samples/<set>/``)."""
    return package_dir() / "assets" / "samples"
