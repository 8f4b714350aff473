"""`i2i dream`: DeepDream on one or more images.

The options are the fields of :class:`~i2i.optimize.dream_options.DreamJob` (the run) and
:class:`~i2i.optimize.dream_options.DreamConfig` (the method), one flag each (:mod:`i2i.cli.options`).
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from i2i.cli.common import console
from i2i.cli.options import given, parameters, with_signature
from i2i.optimize.dream_options import DreamConfig, DreamJob

INPUTS = inspect.Parameter(
    "inputs",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    annotation=Annotated[list[Path], typer.Argument(help="Images to dream on.", show_default=False)],
)


def register(app: typer.Typer) -> None:
    """Add the `dream` command to the top-level app."""
    params = [INPUTS, *parameters(DreamJob), *parameters(DreamConfig)]
    app.command("dream")(with_signature(dream_command, params))


def dream_command(inputs: list[Path], **options: Any) -> None:
    """DeepDream: amplify what a frozen ImageNet network sees in each image."""
    from i2i.optimize.dream_run import run_dream_job

    job = DreamJob(inputs=tuple(inputs), **given(options, DreamJob))  # config.layers from the job's choice
    job = replace(job, config=DreamConfig(layers=job.config.layers, **given(options, DreamConfig)))
    failures = run_dream_job(job, console)
    if failures:
        raise typer.Exit(1)
