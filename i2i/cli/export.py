"""`i2i export`: a checkpoint -> a verified ONNX file (torch is imported only when the command runs); with
``--int8``, an ONNX file or model name -> its calibrated int8 OpenVINO IR (torch-free, NNCF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import console, output_option
from i2i.errors import I2IError


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
    out: output_option(
        "ONNX file to write. Default: CHECKPOINT.onnx (.fp16.onnx). With --int8: the .int8.xml to write "
        "(default: MODEL.int8.xml beside the ONNX file; for a model name, in the user data folder, where "
        "`i2i translate -m NAME` finds it).",
        out_alias=True,
    ) = None,
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
    int8: Annotated[
        bool,
        typer.Option(
            "--int8",
            help="Write a calibrated int8 OpenVINO IR (MODEL.int8.xml + .bin) of the model (needs pip "
            "install 'i2i[int8]'); `--precision auto` runs it on CPUs with VNNI/AMX-INT8 when its output "
            "keeps >= 35 dB PSNR against fp32 on held-back images.",
        ),
    ] = False,
    calibrate: Annotated[
        Path | None,
        typer.Option(
            "--calibrate",
            help="With --int8: a folder of images of the model's input domain (a few dozen; a quarter is "
            "held back to measure quality). Default: the model's bundled samples.",
            show_default=False,
        ),
    ] = None,
    int8_keep: Annotated[
        str,
        typer.Option(
            "--int8-keep",
            help="With --int8: auto | none | edges. edges keeps the first and last convolutions in higher "
            "precision; auto does so only when the all-int8 model misses the gate and keeping them helps.",
        ),
    ] = "auto",
) -> None:
    """Export a checkpoint to ONNX (dynamic batch and size, [0,1] in and out) and verify it against torch.

    Given an i2i ONNX file or a model name instead, rebuild its generator from the file and export it
    again, e.g. with another --pad or --strength, or as fp16; the default output is then
    NAME.reexported.onnx (for a name, in the current folder).

    With --int8, quantise an i2i ONNX file or model name to int8 (a checkpoint, or --pad / --strength /
    --opset, is exported to ONNX first)."""
    if int8:
        _export_int8(checkpoint, out, calibrate, int8_keep, overwrite, fp16, opset, pad, strength)
        return
    if calibrate is not None:
        raise I2IError("--calibrate goes with --int8")
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


def _export_int8(
    source: Path,
    out: Path | None,
    calibrate: Path | None,
    keep: str,
    overwrite: bool,
    fp16: bool,
    opset: int | None,
    pad: int | None,
    strength: float | None,
) -> None:
    """`i2i export --int8`: quantise an ONNX file or named model (exported first when it is a checkpoint or
    re-export options are given) and print what the int8 gate says."""
    from i2i.runtime.int8 import MIN_PSNR_DB, cpu_has_fast_int8, user_int8_path
    from i2i.runtime.resolve import CHECKPOINT_SUFFIXES, is_model_path, resolve_model

    if fp16:
        raise I2IError("--int8 quantises a float32 export; leave out --fp16")
    named = not is_model_path(str(source))
    if source.suffix.lower() in CHECKPOINT_SUFFIXES or any(v is not None for v in (opset, pad, strength)):
        with console.status(f"exporting {source} to ONNX first..."):
            from i2i.export import export_checkpoint

            model = export_checkpoint(
                source, None, opset=opset, overwrite=overwrite, pad=pad, strength=strength
            ).path
        console.print(f"[green]wrote[/] {model}", soft_wrap=True)
    else:
        model = resolve_model(str(source))
    if out is None and named:
        out = user_int8_path(model)
    with console.status(
        f"quantising {model} to int8 with NNCF (calibration, then quality on held-back images)..."
    ):
        from i2i.quantize import quantize_int8

        result = quantize_int8(
            model,
            calibrate,
            out,
            keep=keep,
            overwrite=overwrite,
            log=lambda line: console.print(line, soft_wrap=True),
        )
    record = result.record
    kept = f", kept in higher precision: {', '.join(record.ignored)}" if record.ignored else ""
    console.print(
        f"[green]wrote[/] {result.path} (+ .bin, {result.bytes / 1e6:.1f} MB; {record.quantiser}, "
        f"{record.calibration_images} calibration images{kept})",
        soft_wrap=True,
    )
    from i2i.runtime.int8 import find_int8

    found = find_int8(model)
    if isinstance(found, str):  # e.g. written beside a shipped model whose registry pins another file
        console.print(f"gate: {record.describe()}; --precision auto and int8 will not use it: {found}")
    elif record.passed():
        where = (
            "this CPU has VNNI/AMX-INT8"
            if cpu_has_fast_int8()
            else "on CPUs with VNNI/AMX-INT8 (not this one)"
        )
        console.print(f"gate: {record.describe()}: `--precision auto` runs it ({where})", soft_wrap=True)
    else:
        console.print(
            f"gate: {record.describe()}: `--precision auto` keeps bf16/fp32 "
            f"(below {MIN_PSNR_DB:g} dB); `--precision int8` runs it anyway",
            soft_wrap=True,
        )
