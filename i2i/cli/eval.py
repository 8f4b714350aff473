"""`i2i eval`: image-quality metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import console

app = typer.Typer(no_args_is_help=True, help="Evaluate models: FID/KID (paired metrics come with translate).")


@app.command("fid")
def fid_command(
    real: Annotated[Path, typer.Option("--real", help="Folder of real images.", show_default=False)],
    fake: Annotated[Path, typer.Option("--fake", help="Folder of generated images.", show_default=False)],
    weights: Annotated[
        Path | None,
        typer.Option(help="FID Inception TorchScript file (skips the resolver).", show_default=False),
    ] = None,
    device: Annotated[str, typer.Option(help="cpu | cuda.")] = "cpu",
    kid_subsets: Annotated[int, typer.Option(help="Random subsets for KID.")] = 100,
    kid_subset_size: Annotated[
        int, typer.Option(help="Images per KID subset (capped by the set sizes).")
    ] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """FID and KID between two folders, with the standard TF Inception pool3 features."""
    from i2i.eval.distribution import compare_folders

    scores = compare_folders(real, fake, weights, device, kid_subsets, kid_subset_size)
    if as_json:
        print(json.dumps(scores.to_dict()))
        return
    console.print(
        f"FID {scores.fid:.2f}   KID {scores.kid_mean * 1000:.2f} ± {scores.kid_std * 1000:.2f} (x1e-3)   "
        f"real {scores.real_count}, fake {scores.fake_count} images"
    )
