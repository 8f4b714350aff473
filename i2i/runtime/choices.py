"""The runtime and precision choices as command-line options, help written once for `translate`, `serve`
and `stylize --model` (torch-free; the values are checked by :func:`~i2i.runtime.engine.open_session`)."""

from __future__ import annotations

from typing import Annotated

import typer

from i2i.runtime.translate_options import PRECISION_HELP, RUNTIME_HELP

RuntimeOption = Annotated[
    str,
    typer.Option(
        "--runtime",
        help=f"auto | onnxruntime | openvino. {RUNTIME_HELP}",
    ),
]
PrecisionOption = Annotated[
    str,
    typer.Option(
        "--precision",
        help=f"auto | fp32 | bf16 | fp16 | int8. {PRECISION_HELP} int8: the file `i2i export --int8` made.",
    ),
]
