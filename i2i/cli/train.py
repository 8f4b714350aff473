"""`i2i train <recipe>`: one command per training recipe, generated from the recipe's config dataclass.

Every field of the config (:mod:`i2i.train.config`) becomes a kebab-case option with the field's help; a
field's default is stated once, in the dataclass (the CLI passes on only the options given). Enum fields
are choices, listed in `--help` and checked by click (a bad value exits 2 naming the valid ones). Fields
spelled with capitals in the papers (`netG`, `lambda_A`) also answer to that spelling (`--netG`,
`--lambda-A`). Every command also takes `--resume RUN_DIR`.

The commands come from the task registry (:mod:`i2i.tasks`: each task's command name, help and recipe
class path), so adding a recipe adds no line here. They are built when the `train` group is used, so
`i2i --help` and the torch-free commands never import torch.
"""

from __future__ import annotations

import inspect
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from typer.core import TyperGroup

from i2i.cli.common import console, reflow
from i2i.cli.options import cli_fields, flag, parameter, with_signature
from i2i.errors import I2IError
from i2i.tasks import TaskSpec, all_tasks
from i2i.train.config import RunConfig

if TYPE_CHECKING:
    from i2i.train.harness import Recipe


#: The `i2i train` commands: each task's command name -> its declaration (help text, and the recipe class
#: that :meth:`~i2i.tasks.TaskSpec.load` imports, with torch, when the command is built).
RECIPES: dict[str, TaskSpec] = {spec.command: spec for spec in all_tasks()}


# ------------------------------------------------------------------------------------------- options
def _panel(config_class: type[RunConfig], f: Field[Any]) -> str:
    """Help panels: the data and run folder, the recipe's own options, the GAN options, the rest."""
    from i2i.train.config import GanConfig

    if f.default is MISSING or f.name in ("out", "data_root"):
        return "Data and output"
    if f.name in {g.name for g in fields(RunConfig)}:
        return "Run options (every recipe)"
    if issubclass(config_class, GanConfig) and f.name in {g.name for g in fields(GanConfig)}:
        return "GAN options"
    return f"{config_class.__name__.removesuffix('Config')} options"


def _resume_parameter(config_class: type[RunConfig]) -> inspect.Parameter:
    allowed = ", ".join(flag(n) for n in config_class.resume_overrides)
    help_text = (
        f"Continue the run in this folder exactly, with its own config; only {allowed} may be given too."
    )
    option = typer.Option(
        "--resume", help=help_text, show_default=False, metavar="RUN_DIR", rich_help_panel="Data and output"
    )
    return inspect.Parameter(
        "resume", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[Path | None, option]
    )


def build_command(name: str, entry: TaskSpec) -> click.Command:
    """The click command ``name`` of the task ``entry``: one option per config field of its recipe, plus
    ``--resume``."""
    recipe: type[Recipe[Any]] = entry.load()
    config_class = recipe.config_class
    order = ["Data and output", f"{config_class.__name__.removesuffix('Config')} options", "GAN options"]
    panels = {f.name: _panel(config_class, f) for f in cli_fields(config_class)}
    ranked = sorted(
        cli_fields(config_class),
        key=lambda f: order.index(p) if (p := panels[f.name]) in order else len(order),
    )
    options = [parameter(config_class, f, panels[f.name]) for f in ranked]

    def command(**given: Any) -> None:
        run_recipe(recipe, given)

    sub = typer.Typer(add_completion=False)
    sub.command(name, help=reflow(entry.help))(
        with_signature(command, [_resume_parameter(config_class), *options])
    )
    return typer.main.get_command(sub)


def run_recipe(recipe: type[Recipe[Any]], given: dict[str, Any]) -> None:
    """Build the config from the options given (new run) or from the run folder (``--resume``) and train.
    Prints the release checkpoints' paths on stdout."""
    from i2i.train import harness

    config_class = recipe.config_class
    resume = given.pop("resume")
    explicit = {k: v for k, v in given.items() if v is not None}
    if resume is not None:
        extra = [flag(k) for k in explicit if k not in config_class.resume_overrides]
        if extra:
            allowed = ", ".join(flag(n) for n in config_class.resume_overrides)
            raise I2IError(
                f"--resume continues a run with its own config: {', '.join(extra)} cannot change; "
                f"only {allowed} may be given with it"
            )
        cfg = harness.load_config(config_class, recipe.task, resume, **explicit)
        result = harness.train(recipe, cfg, run_dir=resume, resume=True, console=console)
    else:
        for f in fields(config_class):
            if f.default is MISSING and f.name not in explicit:
                hint = f.metadata.get("hint") or f.metadata.get("help", "")
                raise I2IError(f"{flag(f.name)} is required ({hint}), or --resume RUN_DIR")
        result = harness.train(recipe, config_class(**explicit), console=console)
    for path in result.artefacts.values():
        print(path)


# ------------------------------------------------------------------------------------------- the group
class RecipeGroup(TyperGroup):
    """The `i2i train` group: its commands are :data:`RECIPES`, built on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *RECIPES]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in RECIPES:
            return build_command(cmd_name, RECIPES[cmd_name])
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=RecipeGroup, no_args_is_help=True, help="Train Pix2Pix, CycleGAN, CUT/FastCUT or fast-style models."
)
