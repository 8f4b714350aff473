"""Every task i2i trains and serves, declared once (torch-free): see :mod:`i2i.tasks.registry`.

Each declaration module holds one ``SPEC``; this package registers them in the order below, which is the
order lists, messages and ``i2i train --help`` show. A new method adds one declaration module and its place
in that tuple.
"""

from i2i.tasks import cut, cyclegan, fast_style, pix2pix
from i2i.tasks.registry import (
    DIRECTIONS,
    Network,
    QualityGate,
    TaskSpec,
    all_tasks,
    find,
    get,
    register,
    task_names,
)

for _declaration in (pix2pix, cyclegan, cut, fast_style):
    register(_declaration.SPEC)

__all__ = [
    "DIRECTIONS",
    "Network",
    "QualityGate",
    "TaskSpec",
    "all_tasks",
    "find",
    "get",
    "register",
    "task_names",
]
