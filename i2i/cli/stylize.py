"""`i2i stylize`: neural style transfer by optimisation (Gatys) or with a trained fast-style model.

``i2i stylize --style starry.jpg photo.jpg`` writes ``photo.starry.png`` beside the photo (``-1``, ``-2``
... when that exists) and prints the path. ``--style`` takes a file or a bundled painting's name.
``i2i stylize --model NAME|FILE.onnx INPUTS... OUT_DIR`` runs a fast-style model (exported with
``i2i export``) through the same torch-free onnxruntime pipeline as ``i2i translate`` (batching, folders,
tiling, per-file failures, atomic writes), video clips included (:mod:`i2i.video`: ``--no-stabilise``,
``--codec``); the optimisation refuses a clip in one line (use ``--model`` for video).

The options are the fields of :class:`~i2i.optimize.stylize_options.StylizeJob` (the run),
:class:`~i2i.optimize.stylize_options.NeuralStyleConfig` (the method) and
:class:`~i2i.optimize.stylize_options.FastStyleRun` (``--model``), one flag each (:mod:`i2i.cli.options`).
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from i2i.cli.common import console
from i2i.cli.options import given, parameters, with_signature
from i2i.errors import I2IError
from i2i.optimize.stylize_options import FastStyleRun, NeuralStyleConfig, StylizeJob

INPUTS = inspect.Parameter(
    "inputs",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    annotation=Annotated[
        list[Path],
        typer.Argument(
            help="Content images (with --model: inputs then the output folder).", show_default=False
        ),
    ],
)


def register(app: typer.Typer) -> None:
    """Add the `stylize` command to the top-level app."""
    params = [INPUTS, *parameters(StylizeJob), *parameters(NeuralStyleConfig), *parameters(FastStyleRun)]
    app.command("stylize")(with_signature(stylize_command, params))


def stylize_command(inputs: list[Path], **options: Any) -> None:
    """Neural style transfer: repaint content images in the style of a painting."""
    fast = FastStyleRun(**given(options, FastStyleRun))
    if fast.model is not None:
        if options.get("styles"):
            raise I2IError("give either --style (optimisation) or --model (fast style), not both")
        _run_model(fast, inputs, options)
        return
    job = StylizeJob(inputs=tuple(inputs), **given(options, StylizeJob))  # config from the job's strings
    from i2i.optimize.stylize_run import run_stylize_job  # torch: after the job's checks (a clip, a typo)

    job = replace(job, config=NeuralStyleConfig(**job.method_values(), **given(options, NeuralStyleConfig)))
    if run_stylize_job(job, console):
        raise typer.Exit(1)


def _run_model(fast: FastStyleRun, inputs: list[Path], options: dict[str, Any]) -> None:
    """Fast style through the torch-free translate pipeline: ``INPUTS... OUT_DIR`` (or ``-o OUT_DIR``);
    ``--device`` and ``--overwrite`` apply too (checked where the translate options are built). Video
    clips among the inputs (or in their folders) go through :mod:`i2i.video` with the same session,
    stabilised unless ``--no-stabilise``, encoded with ``--codec``."""
    from i2i.cli.translate import translate_command

    output = options.get("output")
    paths = [str(p) for p in inputs] + ([str(output)] if output is not None else [])
    if len(paths) < 2:
        raise I2IError("with --model give the inputs and then the output folder: INPUTS... OUT_DIR")
    translate_command(
        paths=paths,
        model=fast.model,
        tile=fast.tile,
        batch=fast.batch,
        overwrite=options.get("overwrite"),
        device=options.get("device"),
        runtime=fast.runtime,
        precision=fast.precision,
        stabilise=fast.stabilise,
        codec=fast.codec,
    )
