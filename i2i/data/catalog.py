"""The catalog of named datasets: the pix2pix and CycleGAN archives on the authors' Berkeley server.

Each entry knows its archive, its standard layout (split folders) and, where a source was found, the number
of images in each split. ``None`` means *unknown*: no count was invented. Sources for the numbers:

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
from dataclasses import dataclass
from typing import Literal

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


_P2P_LICENCE_NOTE = "non-commercial research use"


def _aligned(
    name: str,
    splits: tuple[tuple[str, int | None], ...],
    *,
    side_a: str,
    side_b: str,
    licence: str,
    description: str,
    approx_size: str | None = None,
) -> DatasetEntry:
    return DatasetEntry(
        name=name,
        kind="aligned",
        archive="tar.gz",
        splits=splits,
        approx_size=approx_size,
        licence=licence,
        description=description,
        side_a=side_a,
        side_b=side_b,
    )


def _unaligned(
    name: str,
    counts: tuple[int | None, int | None, int | None, int | None],
    *,
    approx_size: str | None,
    licence: str,
    description: str,
) -> DatasetEntry:
    splits = tuple(zip(("trainA", "trainB", "testA", "testB"), counts, strict=True))
    return DatasetEntry(
        name=name,
        kind="unaligned",
        archive="zip",
        splits=splits,
        approx_size=approx_size,
        licence=licence,
        description=description,
    )


_ENTRIES: tuple[DatasetEntry, ...] = (
    # --- pix2pix (aligned AB images, 512x256 unless noted) ---
    _aligned(
        "facades",
        (("train", 400), ("val", 100), ("test", 106)),
        side_a="photo",
        side_b="labels",
        licence="CMP Facade Database terms (Tylecek & Sara 2013); research use",
        description="building facades: photo | architectural label map (labels->photo is BtoA)",
    ),
    _aligned(
        "maps",
        (("train", 1096), ("val", 1098)),
        side_a="aerial",
        side_b="map",
        licence="scraped from Google Maps; Google Maps terms, research use only",
        description="New York City: aerial photo | map tile, 1200x600",
    ),
    _aligned(
        "cityscapes",
        (("train", 2975), ("val", 500)),
        side_a="photo",
        side_b="labels",
        licence="Cityscapes terms (registration at cityscapes-dataset.com); the reference repo no longer "
        "serves this archive, so the URL may be gone",
        description="street scenes: photo | semantic label colours",
    ),
    _aligned(
        "edges2shoes",
        (("train", None), ("val", None)),
        side_a="edges",
        side_b="photo",
        licence="UT Zappos50K (Yu & Grauman); " + _P2P_LICENCE_NOTE,
        description="shoes: edge map | product photo",
    ),
    _aligned(
        "edges2handbags",
        (("train", None), ("val", None)),
        side_a="edges",
        side_b="photo",
        licence="Amazon handbag images from the iGAN project (Zhu et al.); " + _P2P_LICENCE_NOTE,
        description="handbags: edge map | product photo",
    ),
    _aligned(
        "night2day",
        (("train", 17823), ("val", 10), ("test", 2287)),
        side_a="night",
        side_b="day",
        licence="Transient Attributes dataset (Laffont et al. 2014); " + _P2P_LICENCE_NOTE,
        description="webcam scenes: night | day of the same view",
    ),
    # --- CycleGAN (unaligned folders trainA/trainB/testA/testB) ---
    _unaligned(
        "apple2orange",
        (995, 1019, 266, 248),
        approx_size="75 MiB",
        licence="ImageNet terms; non-commercial research use",
        description="apples | navel oranges (ImageNet), 256x256",
    ),
    _unaligned(
        "horse2zebra",
        (1067, 1334, 120, 140),
        approx_size="111 MiB",
        licence="ImageNet terms; non-commercial research use",
        description="wild horses | zebras (ImageNet), 256x256",
    ),
    _unaligned(
        "summer2winter_yosemite",
        (1231, 962, 309, 238),
        approx_size="127 MiB",
        licence="Flickr photos; individual photographers' terms, research use",
        description="Yosemite in summer | in winter (Flickr), 256x256",
    ),
    _unaligned(
        "monet2photo",
        (1072, 6287, 121, 751),
        approx_size="291 MiB",
        licence="paintings from WikiArt (public domain), photos from Flickr; research use",
        description="Monet paintings | landscape photos, 256x256",
    ),
    _unaligned(
        "cezanne2photo",
        (525, 6287, 58, 751),
        approx_size="267 MiB",
        licence="paintings from WikiArt (public domain), photos from Flickr; research use",
        description="Cezanne paintings | landscape photos, 256x256",
    ),
    _unaligned(
        "ukiyoe2photo",
        (562, 6287, 263, 751),
        approx_size="279 MiB",
        licence="prints from WikiArt, photos from Flickr; research use",
        description="ukiyo-e prints | landscape photos, 256x256",
    ),
    _unaligned(
        "vangogh2photo",
        (400, 6287, 400, 751),
        approx_size="292 MiB",
        licence="paintings from WikiArt (public domain), photos from Flickr; research use",
        description="Van Gogh paintings | landscape photos, 256x256",
    ),
    _unaligned(
        "iphone2dslr_flower",
        (1812, 3325, 569, 480),
        approx_size="324 MiB",
        licence="Flickr photos; individual photographers' terms, research use",
        description="flower photos: iPhone | DSLR (shallow depth of field)",
    ),
)

#: Name -> entry, in display order (pix2pix sets first).
CATALOG: dict[str, DatasetEntry] = {}
for _entry in _ENTRIES:
    if _entry.name in CATALOG:  # pragma: no cover - guards edits to the literal above
        raise RuntimeError(f"duplicate catalog entry {_entry.name!r}")
    CATALOG[_entry.name] = _entry
del _entry


def catalog_names() -> list[str]:
    """Catalog names in display order."""
    return list(CATALOG)


def get_entry(name: str) -> DatasetEntry:
    """The entry called ``name``; :class:`I2IError` listing the catalog for an unknown name."""
    try:
        return CATALOG[name]
    except KeyError:
        raise I2IError(f"unknown dataset {name!r}; known datasets: {', '.join(CATALOG)}") from None
