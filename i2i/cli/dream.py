"""`i2i dream`: DeepDream on one or more images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import AmpOption, DeviceOption, SeedOption, console, output_option


def register(app: typer.Typer) -> None:
    """Add the `dream` command to the top-level app."""
    app.command("dream")(dream_command)


def dream_command(
    inputs: Annotated[list[Path], typer.Argument(help="Images to dream on.", show_default=False)],
    output: output_option(
        "Output file (one input) or folder. Default: NAME.dream.png beside each input."
    ) = None,
    preset: Annotated[
        str, typer.Option(help="Layer preset: shallow | tutorial | chollet | deep.")
    ] = "chollet",
    layers: Annotated[
        str | None,
        typer.Option(
            help="Layers and weights, e.g. mixed4:1.0,mixed5:1.5 (overrides --preset).", show_default=False
        ),
    ] = None,
    octaves: Annotated[int, typer.Option(help="Number of scales, smallest first.")] = 4,
    octave_scale: Annotated[float, typer.Option(help="Size ratio between octaves.")] = 1.4,
    steps: Annotated[int, typer.Option(help="Gradient-ascent steps per octave.")] = 20,
    step_size: Annotated[
        float, typer.Option(help="Step on the [-1, 1] image scale (gradient / mean|g|).")
    ] = 0.01,
    max_loss: Annotated[
        float | None, typer.Option(help="Stop an octave early above this loss.", show_default=False)
    ] = None,
    jitter: Annotated[int, typer.Option(help="Random roll per step, in pixels.")] = 32,
    tile: Annotated[
        int | None,
        typer.Option(
            help="Compute gradients in tiles of this size (large images, bounded memory).", show_default=False
        ),
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(help="Resize so the long side is this many pixels first.", show_default=False),
    ] = None,
    backbone: Annotated[str, typer.Option(help="inception_v3 | vgg16 | vgg19.")] = "inception_v3",
    backbone_weights: Annotated[
        Path | None,
        typer.Option(help="Weights file for the backbone (skips the resolver).", show_default=False),
    ] = None,
    seed: SeedOption = 0,
    device: DeviceOption = "auto",
    overwrite: Annotated[bool, typer.Option(help="Replace existing output files.")] = False,
    amp: AmpOption = "auto",
) -> None:
    """DeepDream: amplify what a frozen ImageNet network sees in each image."""
    from i2i.optimize.deepdream import DreamConfig
    from i2i.optimize.dream_run import DreamJob, dream_layers, run_dream_job

    config = DreamConfig(
        layers=dream_layers(backbone, preset, layers),
        octaves=octaves,
        octave_scale=octave_scale,
        steps=steps,
        step_size=step_size,
        max_loss=max_loss,
        jitter=jitter,
        tile=tile,
    )
    job = DreamJob(
        inputs=tuple(inputs),
        config=config,
        output=output,
        size=size,
        backbone=backbone,
        backbone_weights=backbone_weights,
        seed=seed,
        device=device,
        overwrite=overwrite,
        amp=amp,
    )
    failures = run_dream_job(job, console)
    if failures:
        raise typer.Exit(1)
