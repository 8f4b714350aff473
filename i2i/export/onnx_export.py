"""torch -> ONNX with the dynamo exporter and dynamic batch, height and width.

Height and width are declared as multiples of the architecture's size multiple (``H = m * h``), so the
graph accepts any padded size. The example input has sides ``m * max(2, ceil(64 / m))``: never 1 (which
would be specialised) and, for a U-Net, at least two of its size multiples (a 256x256 example makes
unet_256's bottleneck 1x1 and the export fails; 512x512 works). Batch example is 2 for the same reason.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings

import onnx
import torch
from torch import nn

from i2i.errors import I2IError, first_line

INPUT_NAME = "image"
OUTPUT_NAME = "translated"
#: Largest side declared to the exporter (pixels).
MAX_SIDE = 65536
#: Lowest opset the dynamo exporter implements (it would silently keep 18 for a lower request).
MIN_OPSET = 18


def example_side(multiple: int) -> int:
    """Side of the square example input used for export (a multiple of ``multiple``, >= 64)."""
    return multiple * max(2, math.ceil(64 / multiple))


def export_graph(
    wrapper: nn.Module, multiple: int, in_channels: int = 3, opset: int | None = None
) -> onnx.ModelProto:
    """Export ``wrapper`` ((N, C_in, H, W) -> (N, C_out, H, W)) with dynamic N, H = m*h, W = m*w.

    Raises:
        I2IError: the exporter failed (its first message line is included).
    """
    if opset is not None and opset < MIN_OPSET:
        raise I2IError(f"--opset {opset}: the exporter needs opset {MIN_OPSET} or newer")
    side = example_side(multiple)
    example = torch.rand(2, in_channels, side, side)
    batch = torch.export.Dim("batch", min=1, max=4096)
    h = torch.export.Dim("h", min=1, max=MAX_SIDE // multiple)
    w = torch.export.Dim("w", min=1, max=MAX_SIDE // multiple)
    dims = {0: batch, 2: multiple * h, 3: multiple * w} if multiple > 1 else {0: batch, 2: h, 3: w}
    kwargs = {} if opset is None else {"opset_version": int(opset)}
    chatter = io.StringIO()
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(chatter),
            torch.no_grad(),
        ):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                wrapper.eval(),
                (example,),
                dynamo=True,
                dynamic_shapes={"image": dims},
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                **kwargs,
            )
    except Exception as err:
        first = first_line(err)
        raise I2IError(f"ONNX export failed: {first}") from err
    if program is None:  # only when exporting to a file, which we do not do
        raise I2IError("ONNX export produced no program")
    model = program.model_proto
    got = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is not None and got != opset:
        raise I2IError(f"--opset {opset}: the exporter produced opset {got} instead")
    return model
