"""`i2i stylize`: neural style transfer by optimisation (Gatys) or with a trained fast-style model.

``i2i stylize --style starry.jpg photo.jpg`` writes ``photo.starry.png`` beside the photo (``-1``, ``-2``
... when that exists) and prints the path. ``--style`` takes a file or a bundled painting's name.
``i2i stylize --model NAME|FILE.onnx INPUTS... OUT_DIR`` runs a fast-style model (exported with
``i2i export``) through the same torch-free onnxruntime pipeline as ``i2i translate`` (batching, folders,
tiling, per-file failures, atomic writes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import (
    AmpOption,
    DeviceOption,
    PrecisionOption,
    RuntimeOption,
    SeedOption,
    console,
    output_option,
)
from i2i.errors import I2IError

#: Output long side when --size and --scales are not given (a smaller photo keeps its own size).
DEFAULT_SIZE = 512


def register(app: typer.Typer) -> None:
    """Add the `stylize` command to the top-level app."""
    app.command("stylize")(stylize_command)


def _floats(spec: str | None, what: str) -> tuple[float, ...] | None:
    if spec is None:
        return None
    try:
        return tuple(float(v) for v in spec.split(",") if v.strip())
    except ValueError:
        raise I2IError(f"{what}: expected comma-separated numbers, got {spec!r}") from None


def stylize_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Content images (with --model: inputs then the output folder).", show_default=False
        ),
    ],
    style: Annotated[
        list[str] | None,
        typer.Option(
            "--style", "-s", help="Style image file or bundled name (repeat to blend).", show_default=False
        ),
    ] = None,
    style_blend: Annotated[
        str | None, typer.Option(help="Blend weights, one per --style, e.g. 0.7,0.3.", show_default=False)
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Fast-style model (registry NAME or FILE.onnx) instead of --style.", show_default=False
        ),
    ] = None,
    output: output_option(
        "Output file (one input) or folder. Default: NAME.STYLE.png beside each input."
    ) = None,
    size: Annotated[
        int | None,
        typer.Option(
            help="Output long side in pixels [default: 512, or the photo's own size when smaller: a photo is "
            "enlarged only when --size or --scales asks for it].",
            show_default=False,
        ),
    ] = None,
    scales: Annotated[
        str | None,
        typer.Option(
            help="Multi-resolution long sides, small to large, e.g. 256,512 (overrides --size).",
            show_default=False,
        ),
    ] = None,
    iterations: Annotated[
        int | None,
        typer.Option(
            help="Optimiser iterations per scale. Default: with neither --scales nor --iterations, a "
            "coarse-to-fine schedule (most iterations at half size, a few at --size); else 300.",
            show_default=False,
        ),
    ] = None,
    optimizer: Annotated[str, typer.Option(help="lbfgs | adam.")] = "lbfgs",
    lr: Annotated[
        float | None, typer.Option(help="Step size (default 1.0 L-BFGS, 0.02 Adam).", show_default=False)
    ] = None,
    content_weight: Annotated[float, typer.Option(help="alpha (images in [0, 1]).")] = 1.0,
    style_weight: Annotated[
        float | None,
        typer.Option(
            help="beta: larger = more of the painting [default: 30; 1e6 with --style-norm none].",
            show_default=False,
        ),
    ] = None,
    style_norm: Annotated[
        str,
        typer.Option(
            help="target | none. target divides each style layer's Gram loss by the painting's own Gram "
            "size, so one --style-weight suits any painting; none is the unnormalised loss of earlier "
            "versions (default weight 1e6)."
        ),
    ] = "target",
    tv_weight: Annotated[float, typer.Option(help="Total variation weight (try 10-100).")] = 0.0,
    content_layer: Annotated[str, typer.Option(help="Content tap.")] = "relu4_2",
    style_layers: Annotated[
        str, typer.Option(help="Style taps with optional weights, NAME[:W],...")
    ] = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1",
    style_scale: Annotated[float, typer.Option(help="Style long side relative to the content's.")] = 1.0,
    init: Annotated[str, typer.Option(help="content | noise | PATH to an image.")] = "content",
    preserve_color: Annotated[
        str | None, typer.Option(help="luminance | histogram.", show_default=False)
    ] = None,
    save_every: Annotated[int, typer.Option(help="Save NAME.iterNNNN.png every N steps (0: never).")] = 0,
    backbone: Annotated[str, typer.Option(help="vgg19 (falls back to vgg16) | vgg16.")] = "vgg19",
    backbone_weights: Annotated[
        Path | None, typer.Option(help="VGG weights file (skips the resolver).", show_default=False)
    ] = None,
    pool: Annotated[str, typer.Option(help="max | avg pooling in VGG.")] = "max",
    losses_csv: Annotated[
        Path | None, typer.Option(help="Write the per-step loss terms to this CSV.", show_default=False)
    ] = None,
    seed: SeedOption = 0,
    device: DeviceOption = "auto",
    overwrite: Annotated[bool, typer.Option(help="Replace existing output files.")] = False,
    tile: Annotated[
        int | None, typer.Option(help="--model: infer in tiles of this size.", show_default=False)
    ] = None,
    batch: Annotated[int, typer.Option(help="--model: images of the same size per model call.")] = 1,
    runtime: RuntimeOption = "auto",
    precision: PrecisionOption = "auto",
    amp: AmpOption = "auto",
) -> None:
    """Neural style transfer: repaint content images in the style of a painting."""
    if model is not None:
        if style:
            raise I2IError("give either --style (optimisation) or --model (fast style), not both")
        _run_model(model, inputs, output, overwrite, device, tile, batch, runtime, precision)
        return
    if not style:
        raise I2IError("no style given: use --style FILE|NAME (or --model for a fast-style model)")
    from i2i.optimize.neural_style import NeuralStyleConfig, default_schedule, parse_layer_weights
    from i2i.optimize.stylize_run import StylizeJob, run_stylize_job

    sizes = _floats(scales, "--scales")
    enlarge = size is not None or sizes is not None
    size = size if size is not None else DEFAULT_SIZE
    if sizes is None and iterations is None:
        schedule_scales, schedule_iterations = default_schedule(size)
    else:
        schedule_scales = tuple(int(s) for s in sizes) if sizes else (size,)
        schedule_iterations = iterations if iterations is not None else 300
    init_path = None if init in ("content", "noise") else Path(init)
    config = NeuralStyleConfig(
        content_layer=content_layer,
        layer_weights=parse_layer_weights(style_layers),
        content_weight=content_weight,
        style_weight=style_weight,
        style_norm=style_norm,
        tv_weight=tv_weight,
        optimizer=optimizer,
        iterations=schedule_iterations,
        lr=lr,
        scales=schedule_scales,
        style_scale=style_scale,
        init="content" if init_path is not None else init,
        style_blend=_floats(style_blend, "--style-blend"),
        preserve_color=preserve_color,
        save_every=save_every,
        seed=seed,
    )
    job = StylizeJob(
        inputs=tuple(inputs),
        styles=tuple(style),
        config=config,
        output=output,
        init_path=init_path,
        backbone=backbone,
        backbone_weights=backbone_weights,
        pool=pool,
        device=device,
        overwrite=overwrite,
        losses_csv=losses_csv,
        amp=amp,
        enlarge=enlarge,
    )
    if run_stylize_job(job, console):
        raise typer.Exit(1)


def _run_model(
    model: str,
    inputs: list[Path],
    output: Path | None,
    overwrite: bool,
    device: str,
    tile: int | None,
    batch: int,
    runtime: str = "auto",
    precision: str = "auto",
) -> None:
    """Fast style through the torch-free translate pipeline: ``INPUTS... OUT_DIR`` (or ``-o OUT_DIR``)."""
    from i2i.cli.translate import translate_command

    paths = [str(p) for p in inputs] + ([str(output)] if output is not None else [])
    if len(paths) < 2:
        raise I2IError("with --model give the inputs and then the output folder: INPUTS... OUT_DIR")
    translate_command(
        paths=paths,
        model=model,
        tile=tile,
        batch=batch,
        overwrite=overwrite,
        device=device,
        runtime=runtime,
        precision=precision,
    )
