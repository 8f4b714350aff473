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
from i2i.tasks import cyclegan, pix2pix

CYCLEGAN, PIX2PIX = cyclegan.SPEC.name, pix2pix.SPEC.name
BASE_URL_ENV = "I2I_OFFICIAL_BASE_URL"
DEFAULT_BASE_URL = "https://efrosgans.eecs.berkeley.edu"
PATHS = {CYCLEGAN: "cyclegan/pretrained_models", PIX2PIX: "pix2pix/models-pytorch"}
ARCHS: dict[str, tuple[str, dict[str, Any]]] = {
    CYCLEGAN: ("resnet_9blocks", {"ngf": 64, "norm": "instance", "use_dropout": False}),
    PIX2PIX: ("unet_256", {"ngf": 64, "norm": "batch", "use_dropout": True}),
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


#: Per task, one line per published generator: its name, source and target domain, direction, and the
#: pair label its two directions share (``-``: published in one direction only).
_PUBLISHED = {
    CYCLEGAN: """
        apple2orange             apple      orange     AtoB  apple2orange
        orange2apple             orange     apple      BtoA  apple2orange
        horse2zebra              horse      zebra      AtoB  horse2zebra
        zebra2horse              zebra      horse      BtoA  horse2zebra
        summer2winter_yosemite   summer     winter     AtoB  summer2winter_yosemite
        winter2summer_yosemite   winter     summer     BtoA  summer2winter_yosemite
        monet2photo              monet      photo      AtoB  monet2photo
        style_monet              photo      monet      BtoA  monet2photo
        style_cezanne            photo      cezanne    BtoA  -
        style_ukiyoe             photo      ukiyoe     BtoA  -
        style_vangogh            photo      vangogh    BtoA  -
        sat2map                  satellite  map        AtoB  sat2map
        map2sat                  map        satellite  BtoA  sat2map
        cityscapes_photo2label   photo      label      AtoB  cityscapes
        cityscapes_label2photo   label      photo      BtoA  cityscapes
        facades_photo2label      photo      label      AtoB  facades
        facades_label2photo      label      photo      BtoA  facades
        iphone2dslr_flower       iphone     dslr       AtoB  -
    """,
    PIX2PIX: """
        facades_label2photo      label      photo      BtoA  -
        sat2map                  satellite  map        AtoB  sat2map
        map2sat                  map        satellite  BtoA  sat2map
        edges2shoes              edges      shoes      AtoB  -
        day2night                day        night      AtoB  -
    """,
}


def _catalog() -> tuple[OfficialModel, ...]:
    """:data:`_PUBLISHED` as models; a pair label gets the task appended (``apple2orange-cyclegan``), so the
    two tasks' pairs never mix."""
    models = []
    for task, table in _PUBLISHED.items():
        for line in table.strip().splitlines():
            name, src, dst, direction, pair = line.split()
            models.append(
                OfficialModel(name, task, (src, dst), direction, None if pair == "-" else f"{pair}-{task}")
            )
    return tuple(models)


CATALOG: tuple[OfficialModel, ...] = _catalog()


def base_url() -> str:
    return os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL


def find_official(name: str, task: str | None = None) -> OfficialModel:
    """The published model ``name`` (``task`` disambiguates names published for both tasks).

    Raises:
        I2IError: unknown name, unknown task, or an ambiguous name without ``task``.
    """
    if task is not None and task not in PATHS:
        raise I2IError(f"--task {task!r}: official models are {' or '.join(PATHS)}")
    hits = [m for m in CATALOG if m.name == name and (task is None or m.task == task)]
    if not hits:
        names = sorted({m.name for m in CATALOG if task is None or m.task == task})
        raise I2IError(
            f"no official {task or ''} model {name!r}; available: {', '.join(names)}".replace("  ", " ")
        )
    if len(hits) > 1:
        raise I2IError(f"{name!r} is published for both {' and '.join(m.task for m in hits)}; pass --task")
    return hits[0]
