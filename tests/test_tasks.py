"""The task registry: torch-free, one declaration per task, and what reads it agrees with it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from i2i import tasks
from i2i.tasks.registry import QualityGate, TaskSpec

DECLARATIONS = ("pix2pix", "cyclegan", "cut", "fast_style")


def test_importing_the_registry_and_every_declaration_does_not_import_torch():
    modules = ["i2i.tasks", "i2i.tasks.registry", *(f"i2i.tasks.{name}" for name in DECLARATIONS)]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "import i2i.tasks\n"
        "print(','.join(i2i.tasks.task_names()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ",".join(DECLARATIONS)  # declaration order: what lists and help show


def test_every_task_is_registered_once_with_a_distinct_command():
    names = tasks.task_names()
    assert names == DECLARATIONS
    assert len({spec.command for spec in tasks.all_tasks()}) == len(names)
    assert tasks.get("fast_style").command == "style"
    assert tasks.find("no_such_task") is None
    with pytest.raises(KeyError, match="unknown task 'no_such_task'"):
        tasks.get("no_such_task")
    with pytest.raises(ValueError, match="registered twice"):
        tasks.register(tasks.get("cut"))


@pytest.mark.parametrize("name", DECLARATIONS)
def test_a_declaration_names_a_recipe_of_its_own_task(name):
    spec = tasks.get(name)
    recipe = spec.load()
    assert recipe.task == name
    assert {n.name for n in spec.networks} >= set(recipe.ema_modules)


def test_what_the_registry_declares_about_each_task():
    translators = [s.name for s in tasks.all_tasks() if s.translation]
    assert translators == ["pix2pix", "cyclegan", "cut"]
    assert [s.name for s in tasks.all_tasks() if s.endpoint == "stylize"] == ["fast_style"]
    assert {s.name: s.data for s in tasks.all_tasks()} == {
        "pix2pix": "paired",
        "cyclegan": "unpaired",
        "cut": "unpaired",
        "fast_style": "photos+style",
    }
    assert [g.key for g in tasks.get("cut").gates] == ["KID_ratio", "checkerboard"]


def test_a_spec_with_an_unknown_layout_or_a_recipe_without_a_class_is_refused():
    spec = tasks.get("cut")
    fields = {f: getattr(spec, f) for f in TaskSpec.__dataclass_fields__}
    with pytest.raises(ValueError, match="data 'aligned' is not one of"):
        TaskSpec(**{**fields, "data": "aligned"})
    with pytest.raises(ValueError, match="module:Class"):
        TaskSpec(**{**fields, "recipe": "i2i.train.cut"})
    with pytest.raises(ValueError, match="op must be one of"):
        QualityGate("KID", "==", 0.1)


def test_a_quality_gate_says_why_it_is_missed():
    gate = QualityGate("near_black_percent", "<", 0.1)
    assert gate.check({"near_black_percent": 0.05}) is None
    assert gate.check({"near_black_percent": 0.1}) == "near_black_percent 0.1 >= 0.1"
    assert gate.check({"near_black_percent": True}) == "near_black_percent not measured"


def test_the_train_commands_come_from_the_registry():
    from i2i.cli.train import RECIPES

    assert (
        list(RECIPES)
        == [spec.command for spec in tasks.all_tasks()]
        == ["pix2pix", "cyclegan", "cut", "style"]
    )
