"""The task registry: what every method i2i trains and serves is, declared once (torch-free, no i2i imports).

A task is one training method and the kind of model it releases (``pix2pix``, ``cyclegan``, ``cut``,
``fast_style``). Its :class:`TaskSpec` says which networks it trains, how its data is laid out, which
directions its released generators translate, how the model zoo gates it, how ``i2i eval`` measures it,
which endpoint of ``i2i serve`` runs it, and where its recipe class lives (a dotted path, imported only when
a ``i2i train`` command runs). The checkpoint header, the ONNX metadata, the model zoo, the CLI and the
server read these specs instead of keeping lists of task names.

One module per task (:mod:`i2i.tasks.pix2pix`, ...) declares its ``SPEC``; the package :mod:`i2i.tasks`
registers them all when it is imported (importing this module imports the package first), so :func:`get`
always sees every task.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Data layouts (:attr:`TaskSpec.data`): aligned pairs (one AB image per pair, or A/ and B/ folders with
#: matching names), unpaired folders trainA/ and trainB/, or a folder of photos plus one style image.
PAIRED = "paired"
UNPAIRED = "unpaired"
PHOTOS_AND_STYLE = "photos+style"
DATA_LAYOUTS = (PAIRED, UNPAIRED, PHOTOS_AND_STYLE)

#: How ``i2i eval`` measures a task's models (:attr:`TaskSpec.eval`): against aligned targets (L1, PSNR,
#: SSIM, KID, LPIPS), against an unpaired target set (FID/KID and the KID ratio), or as stylisation.
EVAL_PAIRED = "paired"
EVAL_UNPAIRED = "unpaired"
EVAL_STYLE = "style"
EVAL_MODES = (EVAL_PAIRED, EVAL_UNPAIRED, EVAL_STYLE)

#: The ``i2i serve`` endpoint that runs a task's models (:attr:`TaskSpec.endpoint`): ``/v1/<endpoint>``.
TRANSLATE = "translate"
STYLIZE = "stylize"
ENDPOINTS = (TRANSLATE, STYLIZE)

#: The directions a generator can translate: domain A to B or back.
DIRECTIONS = ("AtoB", "BtoA")

_COMPARE = {"<=": operator.le, "<": operator.lt}


@dataclass(frozen=True)
class Network:
    """One network a task trains: ``name`` as the recipe and its checkpoints call it, ``role`` in words."""

    name: str
    role: str


@dataclass(frozen=True)
class QualityGate:
    """``quality[key] <op> limit``: a number a shipped model's registry ``quality`` table must meet.

    ``held_out``: the number only counts when the table also names the held-back files it was measured on
    (its ``held_out`` key), i.e. it was measured on data the model never trained on.
    """

    key: str
    op: str
    limit: float
    held_out: bool = False

    def __post_init__(self) -> None:
        if self.op not in _COMPARE:
            raise ValueError(f"gate {self.key}: op must be one of {', '.join(_COMPARE)}, got {self.op!r}")

    def check(self, quality: Mapping[str, Any]) -> str | None:
        """``None`` when met, else why not (``"KID_ratio 1.39 > 0.6"``, ``"KID_ratio not measured"``)."""
        value = quality.get(self.key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"{self.key} not measured"
        if _COMPARE[self.op](float(value), self.limit):
            return None
        return f"{self.key} {value:g} {'>' if self.op == '<=' else '>='} {self.limit:g}"


@dataclass(frozen=True)
class TaskSpec:
    """One task, declared once.

    ``name``: the task as checkpoint headers, ONNX metadata and registry entries store it. ``title``: how
    people write it (``CUT / FastCUT``). ``command``: its ``i2i train`` subcommand; ``help``: that command's
    help text. ``recipe``: ``"module:Class"`` of its :class:`~i2i.train.harness.Recipe` (imported by
    :meth:`load` only). ``networks``: what it trains. ``data``: one of :data:`DATA_LAYOUTS`.
    ``releases``: the release checkpoint names a run writes (``{a}``/``{b}`` stand for the domain names).
    ``gates``: the quality gates a shipped model of this task must pass, in the order they are reported.
    ``eval``: one of :data:`EVAL_MODES`. ``directions``: the directions its released generators translate
    (empty: no direction, e.g. a style network). ``translation``: an image-to-image translator between two
    domains (not a stylisation). ``endpoint``: one of :data:`ENDPOINTS`. ``stand_in``: the models i2i ships
    for it are small CPU-trained stand-ins for better published ones (said when they run). The defaults
    describe a translator whose generators may be trained either way round.
    """

    name: str
    title: str
    command: str
    help: str
    recipe: str
    networks: tuple[Network, ...]
    data: str
    releases: tuple[str, ...]
    gates: tuple[QualityGate, ...]
    eval: str
    directions: tuple[str, ...] = DIRECTIONS
    translation: bool = True
    endpoint: str = TRANSLATE
    stand_in: bool = False

    def __post_init__(self) -> None:
        for label, value, allowed in (
            ("data", self.data, DATA_LAYOUTS),
            ("eval", self.eval, EVAL_MODES),
            ("endpoint", self.endpoint, ENDPOINTS),
        ):
            if value not in allowed:
                raise ValueError(f"task {self.name}: {label} {value!r} is not one of {', '.join(allowed)}")
        if not set(self.directions) <= set(DIRECTIONS):
            raise ValueError(
                f"task {self.name}: directions must be among {DIRECTIONS}, got {self.directions}"
            )
        if ":" not in self.recipe:
            raise ValueError(f"task {self.name}: recipe must be 'module:Class', got {self.recipe!r}")

    def load(self) -> type:
        """The recipe class (imports its module, and with it torch)."""
        module, _, name = self.recipe.partition(":")
        return getattr(importlib.import_module(module), name)


_TASKS: dict[str, TaskSpec] = {}


def register(spec: TaskSpec) -> TaskSpec:
    """Add ``spec`` to the registry (in declaration order) and return it.

    Raises:
        ValueError: a task of that name, or a task with that ``i2i train`` command, is registered already.
    """
    if spec.name in _TASKS:
        raise ValueError(f"task {spec.name!r} is registered twice")
    if any(other.command == spec.command for other in _TASKS.values()):
        raise ValueError(f"task {spec.name!r}: `i2i train {spec.command}` belongs to another task")
    _TASKS[spec.name] = spec
    return spec


def get(name: str) -> TaskSpec:
    """The task called ``name``.

    Raises:
        KeyError: no such task (the message lists the known ones).
    """
    try:
        return _TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known: {', '.join(_TASKS)}") from None


def find(name: str) -> TaskSpec | None:
    """The task called ``name``, or ``None`` (for values read from files, which may name anything)."""
    return _TASKS.get(name)


def all_tasks() -> tuple[TaskSpec, ...]:
    """Every registered task, in declaration order."""
    return tuple(_TASKS.values())


def task_names() -> tuple[str, ...]:
    """The names of every registered task, in declaration order."""
    return tuple(_TASKS)
