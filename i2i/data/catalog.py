"""The catalog of named datasets: the pix2pix and CycleGAN archives on the authors' Berkeley server.

The entries are data, kept in ``catalog.toml`` beside this module (packaged with i2i). Each entry knows
its archive, its standard layout (split folders) and, where a source was found, the number of images in
each split. ``None`` (``"unknown"`` in the file) means *unknown*: no count was invented. Sources for the
numbers:

- facades, maps, apple2orange: the project's data README (and the files themselves).
- other CycleGAN sets: the TensorFlow Datasets catalog page ``cycle_gan`` (split sizes and download sizes).
- night2day: a directory listing of the extracted archive (train 17823, val 10, test 2287) published with
  an independent pix2pix port (gcwl/pytorch-pix2pix ``data/README.md``).
- cityscapes: 2975 training images per the CycleGAN/pix2pix dataset notes; 500 = the Cityscapes val set.
- edges2shoes, edges2handbags: counts and sizes not verified -> unknown.

The server root is ``https://efrosgans.eecs.berkeley.edu``; set ``I2I_DATASET_BASE_URL`` (or pass
``base_url``) to use a mirror. Only the root is replaced: the rest of the path
(``/pix2pix/datasets/facades.tar.gz``, ``/cyclegan/datasets/apple2orange.zip``) is kept, so a mirror of the
server (or a local ``http.server`` in tests) works as is.

This module does not import torch.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from i2i.errors import I2IError

__all__ = [
    "CATALOG",
    "DEFAULT_BASE_URL",
    "DatasetEntry",
    "base_url_from_env",
    "catalog_names",
    "get_entry",
]

DEFAULT_BASE_URL = "https://efrosgans.eecs.berkeley.edu"
BASE_URL_ENV = "I2I_DATASET_BASE_URL"

Kind = Literal["aligned", "unaligned"]
Archive = Literal["tar.gz", "zip"]


@dataclass(frozen=True)
class DatasetEntry:
    """One named dataset.

    Attributes:
        name: catalog name, also the folder name under the data root.
        kind: ``"aligned"`` (pix2pix AB files) or ``"unaligned"`` (CycleGAN ``trainA``/``trainB``...).
        archive: ``"tar.gz"`` or ``"zip"``.
        splits: ``((folder, expected image count or None), ...)`` in display order.
        approx_size: human-readable download size, or None when unknown.
        licence: terms of use, briefly.
        description: what the images are.
        side_a, side_b: for aligned sets, what the left (A) and right (B) halves show.
    """

    name: str
    kind: Kind
    archive: Archive
    splits: tuple[tuple[str, int | None], ...]
    approx_size: str | None
    licence: str
    description: str
    side_a: str | None = None
    side_b: str | None = None

    @property
    def filename(self) -> str:
        """Archive file name, e.g. ``facades.tar.gz``."""
        return f"{self.name}.{self.archive}"

    @property
    def url_path(self) -> str:
        """Path on the server, e.g. ``/pix2pix/datasets/facades.tar.gz``."""
        family = "pix2pix" if self.kind == "aligned" else "cyclegan"
        return f"/{family}/datasets/{self.filename}"

    def url(self, base_url: str | None = None) -> str:
        """Download URL; ``base_url`` (else ``$I2I_DATASET_BASE_URL``, else the Berkeley server) + path."""
        base = base_url or base_url_from_env() or DEFAULT_BASE_URL
        return base.rstrip("/") + self.url_path

    @property
    def split_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.splits)

    def expected_count(self, split: str) -> int | None:
        return dict(self.splits).get(split)


def base_url_from_env() -> str | None:
    """``$I2I_DATASET_BASE_URL`` if set and non-empty."""
    value = os.environ.get(BASE_URL_ENV, "").strip()
    return value or None


#: The archive format of each kind: the pix2pix sets are tarballs, the CycleGAN sets zip files.
_ARCHIVES: dict[str, Archive] = {"aligned": "tar.gz", "unaligned": "zip"}
_UNKNOWN = "unknown"


def _entry(name: str, fields: dict[str, Any]) -> DatasetEntry:
    """One ``[name]`` table of ``catalog.toml`` as an entry (an ``"unknown"`` count becomes ``None``)."""
    splits = tuple((split, None if count == _UNKNOWN else count) for split, count in fields["splits"].items())
    return DatasetEntry(
        name=name,
        kind=fields["kind"],
        archive=_ARCHIVES[fields["kind"]],
        splits=splits,
        approx_size=fields.get("approx_size"),
        licence=fields["licence"],
        description=fields["description"],
        side_a=fields.get("side_a"),
        side_b=fields.get("side_b"),
    )


def _load_catalog() -> dict[str, DatasetEntry]:
    """The entries of the packaged ``catalog.toml``, in its order (TOML refuses a name given twice)."""
    text = resources.files(__package__).joinpath("catalog.toml").read_text(encoding="utf-8")
    return {name: _entry(name, fields) for name, fields in tomllib.loads(text).items()}


#: Name -> entry, in display order (pix2pix sets first).
CATALOG: dict[str, DatasetEntry] = _load_catalog()


def catalog_names() -> list[str]:
    """Catalog names in display order."""
    return list(CATALOG)


def get_entry(name: str) -> DatasetEntry:
    """The entry called ``name``; :class:`I2IError` listing the catalog for an unknown name."""
    try:
        return CATALOG[name]
    except KeyError:
        raise I2IError(f"unknown dataset {name!r}; known datasets: {', '.join(CATALOG)}") from None
