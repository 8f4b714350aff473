"""The pretrained generators the reference implementation's authors publish (torch-free).

CycleGAN: ``{base}/cyclegan/pretrained_models/{name}.pth``; pix2pix:
``{base}/pix2pix/models-pytorch/{name}.pth`` with ``base = https://efrosgans.eecs.berkeley.edu``
(``$I2I_OFFICIAL_BASE_URL`` overrides it, e.g. for a local mirror or tests). Names as in the reference's
``scripts/download_cyclegan_model.sh`` / ``download_pix2pix_model.sh``. CycleGAN generators are
``resnet_9blocks`` with instance norm (trained ``--no_dropout``); pix2pix generators ``unet_256`` with
batch norm, run with per-image statistics as the reference test script does.

``direction``/``domains`` follow the datasets' A/B folders; the two generators of one CycleGAN run share a
``pair`` so ``--direction`` picks between them once both are fetched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from i2i.errors import I2IError

BASE_URL_ENV = "I2I_OFFICIAL_BASE_URL"
DEFAULT_BASE_URL = "https://efrosgans.eecs.berkeley.edu"
PATHS = {"cyclegan": "cyclegan/pretrained_models", "pix2pix": "pix2pix/models-pytorch"}
ARCHS: dict[str, tuple[str, dict[str, Any]]] = {
    "cyclegan": ("resnet_9blocks", {"ngf": 64, "norm": "instance", "use_dropout": False}),
    "pix2pix": ("unet_256", {"ngf": 64, "norm": "batch", "use_dropout": True}),
}
LICENCE = (
    "pretrained weights published by the pytorch-CycleGAN-and-pix2pix authors (code BSD-2-Clause); "
    "the training data's own terms apply"
)


@dataclass(frozen=True)
class OfficialModel:
    """One published generator: ``domains`` (source, target), ``direction`` in its dataset's A/B terms."""

    name: str
    task: str
    domains: tuple[str, str]
    direction: str
    pair: str | None = None

    @property
    def arch(self) -> str:
        return ARCHS[self.task][0]

    @property
    def arch_kwargs(self) -> dict[str, Any]:
        return dict(ARCHS[self.task][1])

    def url(self, base: str | None = None) -> str:
        return f"{(base or base_url()).rstrip('/')}/{PATHS[self.task]}/{self.name}.pth"

    @property
    def default_user_name(self) -> str:
        """``apple2orange-cyclegan``: never a shipped name, and unambiguous across the two tasks."""
        return f"{self.name}-{self.task}"


def _m(name: str, task: str, src: str, dst: str, direction: str = "AtoB", pair: str | None = None):
    return OfficialModel(name, task, (src, dst), direction, f"{pair}-{task}" if pair else None)


CATALOG: tuple[OfficialModel, ...] = (
    _m("apple2orange", "cyclegan", "apple", "orange", "AtoB", "apple2orange"),
    _m("orange2apple", "cyclegan", "orange", "apple", "BtoA", "apple2orange"),
    _m("horse2zebra", "cyclegan", "horse", "zebra", "AtoB", "horse2zebra"),
    _m("zebra2horse", "cyclegan", "zebra", "horse", "BtoA", "horse2zebra"),
    _m("summer2winter_yosemite", "cyclegan", "summer", "winter", "AtoB", "summer2winter_yosemite"),
    _m("winter2summer_yosemite", "cyclegan", "winter", "summer", "BtoA", "summer2winter_yosemite"),
    _m("monet2photo", "cyclegan", "monet", "photo", "AtoB", "monet2photo"),
    _m("style_monet", "cyclegan", "photo", "monet", "BtoA", "monet2photo"),
    _m("style_cezanne", "cyclegan", "photo", "cezanne", "BtoA"),
    _m("style_ukiyoe", "cyclegan", "photo", "ukiyoe", "BtoA"),
    _m("style_vangogh", "cyclegan", "photo", "vangogh", "BtoA"),
    _m("sat2map", "cyclegan", "satellite", "map", "AtoB", "sat2map"),
    _m("map2sat", "cyclegan", "map", "satellite", "BtoA", "sat2map"),
    _m("cityscapes_photo2label", "cyclegan", "photo", "label", "AtoB", "cityscapes"),
    _m("cityscapes_label2photo", "cyclegan", "label", "photo", "BtoA", "cityscapes"),
    _m("facades_photo2label", "cyclegan", "photo", "label", "AtoB", "facades"),
    _m("facades_label2photo", "cyclegan", "label", "photo", "BtoA", "facades"),
    _m("iphone2dslr_flower", "cyclegan", "iphone", "dslr", "AtoB"),
    _m("facades_label2photo", "pix2pix", "label", "photo", "BtoA"),
    _m("sat2map", "pix2pix", "satellite", "map", "AtoB", "sat2map"),
    _m("map2sat", "pix2pix", "map", "satellite", "BtoA", "sat2map"),
    _m("edges2shoes", "pix2pix", "edges", "shoes", "AtoB"),
    _m("day2night", "pix2pix", "day", "night", "AtoB"),
)


def base_url() -> str:
    return os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL


def find_official(name: str, task: str | None = None) -> OfficialModel:
    """The published model ``name`` (``task`` disambiguates names published for both tasks).

    Raises:
        I2IError: unknown name, unknown task, or an ambiguous name without ``task``.
    """
    if task is not None and task not in PATHS:
        raise I2IError(f"--task {task!r}: official models are cyclegan or pix2pix")
    hits = [m for m in CATALOG if m.name == name and (task is None or m.task == task)]
    if not hits:
        names = sorted({m.name for m in CATALOG if task is None or m.task == task})
        raise I2IError(
            f"no official {task or ''} model {name!r}; available: {', '.join(names)}".replace("  ", " ")
        )
    if len(hits) > 1:
        raise I2IError(f"{name!r} is published for both {' and '.join(m.task for m in hits)}; pass --task")
    return hits[0]
