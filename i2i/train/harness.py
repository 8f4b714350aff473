"""The public entry to training: :func:`train` a :class:`Recipe` with its config, or resume a run.

The loop is :mod:`i2i.train.loop`; what a recipe states is :mod:`i2i.train.recipe`; ``last.pt`` and exact
resume are :mod:`i2i.train.run_state`; the run folder's other files are :mod:`i2i.train.outputs`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from i2i.train.loop import Diverged, TrainResult, load_config, train
from i2i.train.recipe import Env, Recipe
from i2i.train.run_state import STATE_VERSION

__all__ = [
    "STATE_VERSION",
    "Diverged",
    "Env",
    "Recipe",
    "TrainResult",
    "entry_points",
    "load_config",
    "train",
]


def entry_points(
    recipe_class: type[Recipe[Any]],
) -> tuple[Callable[..., TrainResult], Callable[..., Any]]:
    """A recipe module's ``train(cfg, run_dir=, resume=, console=)`` and ``load_config(run_dir,
    **overrides)``: :func:`train` and :func:`load_config` for ``recipe_class``."""
    name = recipe_class.__name__

    def train_recipe(cfg: Any, **kwargs: Any) -> TrainResult:
        return train(recipe_class, cfg, **kwargs)

    def load_recipe_config(run_dir: Path, **overrides: Any) -> Any:
        return load_config(recipe_class.config_class, recipe_class.task, run_dir, **overrides)

    train_recipe.__name__ = train_recipe.__qualname__ = "train"
    train_recipe.__doc__ = (
        f"Train {name} (see :func:`i2i.train.harness.train` for ``run_dir``, ``resume``, ``console``)."
    )
    load_recipe_config.__name__ = load_recipe_config.__qualname__ = "load_config"
    load_recipe_config.__doc__ = (
        f"The {name} config of the run in ``run_dir`` with ``overrides`` (max_steps, device, ...) applied."
    )
    return train_recipe, load_recipe_config
