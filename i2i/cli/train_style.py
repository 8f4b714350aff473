"""`i2i train style`: train a fast-style (Johnson) network on a folder of photos.

The training group lives in :mod:`i2i.cli.train`; call :func:`register` on its ``app`` to add this
command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import DeviceOption, SeedOption, console


def register(train_app: typer.Typer) -> None:
    """Add the `style` command to the `i2i train` group."""
    train_app.command("style")(train_style_command)


def train_style_command(
    style: Annotated[str, typer.Option("--style", "-s", help="Style image file or bundled name.")],
    data: Annotated[Path, typer.Option(help="Folder of photos (searched recursively).")],
    out: Annotated[Path, typer.Option(help="Run folder (model.pt, samples, logs).")],
    epochs: Annotated[int, typer.Option(help="Passes over the photos.")] = 2,
    max_steps: Annotated[
        int | None, typer.Option(help="Stop after this many steps.", show_default=False)
    ] = None,
    max_minutes: Annotated[
        float | None, typer.Option(help="Stop (and save) after this many minutes.", show_default=False)
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Photos per step.")] = 4,
    size: Annotated[int, typer.Option(help="Training crop side (multiple of 4).")] = 256,
    style_size: Annotated[
        int | None, typer.Option(help="Style image long side (default 512).", show_default=False)
    ] = 512,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-3,
    content_weight: Annotated[float, typer.Option(help="lambda_c (relu2_2).")] = 1e5,
    style_weight: Annotated[
        float, typer.Option(help="lambda_s (relu1_2, relu2_2, relu3_3, relu4_3).")
    ] = 1e10,
    tv_weight: Annotated[float, typer.Option(help="Total variation weight.")] = 0.0,
    backbone_weights: Annotated[
        Path | None, typer.Option(help="VGG16 weights file (skips the resolver).", show_default=False)
    ] = None,
    sample_every: Annotated[int, typer.Option(help="Sample grid every N steps.")] = 200,
    save_every: Annotated[int, typer.Option(help="Checkpoint every N steps.")] = 500,
    amp: Annotated[
        str,
        typer.Option(
            "--amp",
            help="Mixed precision: auto | none | bf16 | fp16 (auto: bf16 on CPUs with AMX/AVX512-BF16 and "
            "bf16 GPUs, else none; bf16: 1.9x on AVX512-BF16 CPUs).",
        ),
    ] = "auto",
    resume: Annotated[bool, typer.Option(help="Continue the run in --out from its last.pt.")] = False,
    seed: SeedOption = 0,
    device: DeviceOption = "auto",
) -> None:
    """Train a fast-style network (Johnson et al.) with perceptual losses; export it with `i2i export`."""
    from i2i.train.fast_style import FastStyleConfig, train

    cfg = FastStyleConfig(
        style=style,
        data=str(data),
        out=str(out),
        epochs=epochs,
        max_steps=max_steps,
        max_minutes=max_minutes,
        batch_size=batch_size,
        size=size,
        style_size=style_size,
        lr=lr,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        backbone_weights=str(backbone_weights) if backbone_weights else None,
        amp=amp,
        sample_every=sample_every,
        save_every=save_every,
        seed=seed,
        device=device,
    )
    result = train(cfg, console, resume=resume)
    print(result.checkpoint)
