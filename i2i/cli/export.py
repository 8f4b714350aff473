"""`i2i export`: a checkpoint -> a verified ONNX file (torch is imported only when the command runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import console, output_option


def register(app: typer.Typer) -> None:
    """Add the `export` command to the top-level app."""
    app.command("export")(export_command)


def export_command(
    checkpoint: Annotated[
        Path,
        typer.Argument(
            help="Generator checkpoint (.pt) written by i2i, or an i2i ONNX file or model name "
            "(`i2i models list`) to export again with other options (its generator is rebuilt from the "
            "file).",
            show_default=False,
        ),
    ],
    out: output_option("ONNX file to write. Default: CHECKPOINT.onnx (.fp16.onnx).", out_alias=True) = None,
    fp16: Annotated[
        bool, typer.Option("--fp16", help="float16 weights and arithmetic; inputs/outputs stay float32.")
    ] = False,
    opset: Annotated[
        int | None, typer.Option("--opset", help="ONNX opset (default: the exporter's).", show_default=False)
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing ONNX file.")] = False,
    pad: Annotated[
        int | None,
        typer.Option(
            "--pad",
            help="Reflection-pad every image by this many pixels inside the graph and crop them off the "
            "output (a multiple of 4): keeps the generator's own borders, where short runs draw stripes, out "
            "of the picture; costs (side + 2 pad)^2 / side^2 of the work. Default: 0, or an ONNX "
            "input's own.",
            show_default=False,
        ),
    ] = None,
    strength: Annotated[
        float | None,
        typer.Option(
            "--strength",
            help="Return input + STRENGTH x (translation - input), clamped: below 1 blends the translation "
            "with the input, above 1 strengthens the change (at most 4; needs as many output channels as "
            "input channels). Default: 1, or an ONNX input's own.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Export a checkpoint to ONNX (dynamic batch and size, [0,1] in and out) and verify it against torch.

    Given an i2i ONNX file or a model name instead, rebuild its generator from the file and export it
    again, e.g. with another --pad or --strength, or as fp16; the default output is then
    NAME.reexported.onnx (for a name, in the current folder)."""
    with console.status(f"exporting {checkpoint} and verifying with onnxruntime..."):
        from i2i.export import export_checkpoint

        result = export_checkpoint(
            checkpoint, out, fp16=fp16, opset=opset, overwrite=overwrite, pad=pad, strength=strength
        )
    v = result.verification
    sizes = sorted({f"{c.shape[2]}x{c.shape[3]}" for c in v.checks})
    console.print(
        f"[green]wrote[/] {result.path} ({result.bytes / 1e6:.1f} MB, {result.nodes} nodes, {v.precision})",
        soft_wrap=True,
    )
    console.print(
        f"verified: onnxruntime vs torch max abs diff {v.max_abs_diff:.2e} <= {v.tolerance:g} "
        f"on noise and smooth images at {', '.join(sizes)}",
        soft_wrap=True,
    )
