"""Export a checkpoint to a self-describing, self-verified ONNX file.

The exported graph takes float32 (N, C_in, H, W) in [0, 1] (N, H, W dynamic; H, W multiples of the
architecture's size multiple) and returns float32 (N, C_out, H, W) in [0, 1]. Batch norm is converted to
per-image instance statistics, dropout removed, and the checkpoint header copied into ``metadata_props``
(see :mod:`i2i.modelfile`). Every export is checked against torch before it is written.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import onnx
from torch import nn

from i2i.errors import I2IError
from i2i.export.onnx_export import export_graph
from i2i.export.verify import Verification, verify_export
from i2i.export.wrapper import ExportWrapper, inference_copy
from i2i.modelfile import MAX_STRENGTH, metadata_entries
from i2i.nn.layers import check_pad

__all__ = ["ExportResult", "ExportWrapper", "export_checkpoint", "export_generator", "inference_copy"]


@dataclass(frozen=True)
class ExportResult:
    """The written file, its node count and size, and the verification that let it through."""

    path: Path
    nodes: int
    bytes: int
    verification: Verification


def default_output(checkpoint: Path, fp16: bool = False) -> Path:
    """``model.pt`` -> ``model.onnx`` (``model.fp16.onnx`` with ``fp16``)."""
    return checkpoint.with_suffix(".fp16.onnx" if fp16 else ".onnx")


def export_generator(
    generator: nn.Module,
    header_json: str,
    out: Path,
    *,
    value_range: tuple[float, float],
    multiple: int,
    in_channels: int = 3,
    fp16: bool = False,
    opset: int | None = None,
    overwrite: bool = False,
    pad: int = 0,
    strength: float = 1.0,
) -> ExportResult:
    """Export, verify, then atomically write ``out``; nothing is written if verification fails. ``pad``:
    reflection padding put around the generator inside the graph (:class:`ExportWrapper`), a multiple of
    ``multiple``; ``strength``: how far the output moves from the input towards the translation (1: the
    translation). Both are recorded in the metadata.

    Raises:
        I2IError: ``out`` exists (without ``overwrite``), export failed, or onnxruntime differs from torch
            by more than the tolerance (the message lists the worst difference).
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise I2IError(f"{out}: already exists (use --overwrite to replace it)")
    try:
        check_pad(pad, math.lcm(4, multiple))  # 4: the reflection step; multiple: keeps padded sides legal
    except ValueError:
        raise I2IError(
            f"--pad must be a non-negative multiple of 4 and of the size multiple {multiple}, got {pad}"
        ) from None
    out_channels = json.loads(header_json).get("io", {}).get("out_channels", in_channels)
    if strength != 1.0 and out_channels != in_channels:
        raise I2IError(
            f"--strength needs as many output channels as input channels ({out_channels} vs {in_channels})"
        )
    if not 0.0 < strength <= MAX_STRENGTH:
        raise I2IError(f"--strength must be in (0, {MAX_STRENGTH:g}], got {strength}")
    wrapper = ExportWrapper(inference_copy(generator), value_range, pad=pad, strength=strength).eval()
    model = export_graph(wrapper, multiple, in_channels, opset)
    precision = "fp16" if fp16 else "fp32"
    if fp16:
        from i2i.export.fp16 import to_fp16

        model = to_fp16(model)
    for key, value in metadata_entries(header_json, precision, input_pad=pad, strength=strength).items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    model.doc_string = "i2i export: float32 NCHW image in [0, 1] -> translated image in [0, 1]"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{secrets.token_hex(6)}.tmp"
    try:
        onnx.save_model(model, str(tmp))
        result = verify_export(tmp, wrapper, multiple, in_channels, precision)
        if not result.passed:
            worst = max(result.checks, key=lambda c: c.max_abs_diff)
            raise I2IError(
                f"export verification failed: onnxruntime differs from torch by {worst.max_abs_diff:.3g} "
                f"(tolerance {result.tolerance:g}, {worst.kind} input {worst.shape}); nothing written"
            )
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return ExportResult(out, len(model.graph.node), out.stat().st_size, result)


def export_checkpoint(
    checkpoint: str | Path,
    out: str | Path | None = None,
    *,
    fp16: bool = False,
    opset: int | None = None,
    overwrite: bool = False,
    pad: int | None = None,
    strength: float | None = None,
) -> ExportResult:
    """Export the generator checkpoint at ``checkpoint`` (see :func:`export_generator`).

    ``checkpoint`` may also be an i2i ONNX file (``.onnx``) or the name of a model (``apple2orange``, as
    ``i2i models list`` shows): its generator is rebuilt (:func:`i2i.export.from_onnx.generator_from_onnx`)
    and exported again, keeping the file's own pad and strength unless ``pad``/``strength`` are given (a
    checkpoint's defaults: 0 and 1). The default output is then ``NAME.reexported.onnx`` (for a named
    model, in the current folder); the input file itself is never replaced.
    """
    from i2i.runtime.resolve import is_model_path, resolve_model

    checkpoint = Path(checkpoint)
    named = not is_model_path(str(checkpoint))
    if named or checkpoint.suffix.lower() == ".onnx":
        from i2i.export.from_onnx import generator_from_onnx

        source = resolve_model(str(checkpoint)) if named else checkpoint
        rebuilt = generator_from_onnx(source)
        module, header_json, io = rebuilt.module, rebuilt.header_json, rebuilt.info.io
        pad = rebuilt.info.input_pad if pad is None else pad
        strength = rebuilt.info.strength if strength is None else strength
        stem = Path(checkpoint.name) if named else checkpoint
        target = Path(out) if out is not None else default_output(stem.with_suffix(".reexported.pt"), fp16)
        if target.resolve() == source.resolve():
            raise I2IError(f"{target}: is the model being exported; write the new export elsewhere (-o)")
    else:
        from i2i import checkpoint as ckpt

        loaded = ckpt.load(checkpoint)
        header = loaded.header
        if header.role != "generator":
            raise I2IError(
                f"{checkpoint}: is a {header.role}; only generators can be exported for translation"
            )
        module, header_json, io = loaded.module, header.to_json(), header.io
        target = Path(out) if out is not None else default_output(checkpoint, fp16)
    return export_generator(
        module,
        header_json,
        target,
        value_range=io.value_range,
        multiple=io.size_multiple,
        in_channels=io.in_channels,
        fp16=fp16,
        opset=opset,
        overwrite=overwrite,
        pad=0 if pad is None else pad,
        strength=1.0 if strength is None else strength,
    )
