"""Where named models live (torch-free).

* Shipped models: ``i2i/weights/`` inside an installed package (the wheel packages the repository's
  ``weights/`` there), else ``weights/`` beside the package in a source checkout or editable install
  (``Path(i2i.__file__).parents[1] / "weights"``); ``$I2I_WEIGHTS_DIR`` overrides both.
* User models: ``$I2I_MODELS_DIR``, else ``$XDG_DATA_HOME/i2i/models`` (``~/.local/share/i2i/models``).
* The sha256 verification cache: ``$XDG_CACHE_HOME/i2i/verified-models.json`` (``~/.cache/...``).
* The reduced-precision quality verdicts: ``$XDG_CACHE_HOME/i2i/precision-gate.json``.
"""

from __future__ import annotations

from pathlib import Path

from i2i.user_dirs import env_path, package_dir, user_cache_dir, user_data_dir

WEIGHTS_ENV = "I2I_WEIGHTS_DIR"
MODELS_ENV = "I2I_MODELS_DIR"
REGISTRY_FILE = "registry.toml"
USER_REGISTRY_FILE = "models.json"


def weights_dir() -> Path:
    """The shipped-models folder: inside the package when installed, else the checkout's ``weights/``."""
    override = env_path(WEIGHTS_ENV)
    if override is not None:
        return override
    installed = package_dir() / "weights"
    if (installed / REGISTRY_FILE).is_file():
        return installed
    return package_dir().parent / "weights"


def shipped_registry_path() -> Path:
    return weights_dir() / REGISTRY_FILE


def user_models_dir() -> Path:
    """Per-user models folder (``NAME.onnx`` files plus ``models.json``)."""
    return env_path(MODELS_ENV) or user_data_dir("models")


def user_registry_path() -> Path:
    return user_models_dir() / USER_REGISTRY_FILE


def verify_cache_path() -> Path:
    return user_cache_dir("verified-models.json")


def precision_gate_cache_path() -> Path:
    """Where the runtime remembers which models pass the reduced-precision quality gate on this machine."""
    return user_cache_dir("precision-gate.json")


def samples_dir() -> Path:
    """The bundled sample images (``i2i/assets/samples/<set>/``)."""
    return package_dir() / "assets" / "samples"
