"""``--model NAME|FILE.onnx`` -> an ONNX file (torch-free).

A path is used as is. A bare name goes to :func:`resolve_named_model`, which looks it up in the weights
registry (:mod:`i2i.zoo`: ``weights/registry.toml`` and the per-user registry) and verifies its sha256.
"""

from __future__ import annotations

from pathlib import Path

from i2i.errors import I2IError

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")


def resolve_named_model(name: str, direction: str | None = None) -> Path:
    """The verified ONNX file of the named model (``direction`` picks AtoB/BtoA when a name has two).

    Names come from the shipped registry (``weights/registry.toml``) and the per-user registry
    (``i2i models add``); see :mod:`i2i.zoo`. The file's sha256 is checked (cached per file version).

    Raises:
        I2IError: unknown name, no partner for ``direction``, missing file or sha256 mismatch.
    """
    from i2i.zoo.store import resolve_path

    return resolve_path(name, direction)


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or Path(text).suffix != ""


def is_model_path(name_or_path: str) -> bool:
    """True when :func:`resolve_model` treats ``name_or_path`` as a file (else it is a registry name)."""
    return Path(name_or_path).expanduser().is_file() or _looks_like_path(name_or_path)


def resolve_model(name_or_path: str, direction: str | None = None) -> Path:
    """An existing ONNX file for ``name_or_path``.

    Raises:
        I2IError: missing file, a training checkpoint instead of an export, or an unknown name.
    """
    path = Path(name_or_path).expanduser()
    if path.suffix.lower() in CHECKPOINT_SUFFIXES:
        raise I2IError(
            f"{path}: is a training checkpoint; export it first with `i2i export {path}` and pass the .onnx"
        )
    if path.is_file():
        return path
    if path.is_dir():
        raise I2IError(f"{path}: is a folder; pass an .onnx file or a model name")
    if _looks_like_path(name_or_path):
        raise I2IError(f"{path}: no such model file")
    return resolve_named_model(name_or_path, direction)
