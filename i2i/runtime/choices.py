"""The runtime and precision choices as command-line options, help written once for `translate`, `serve`
and `stylize --model` (torch-free; the values are checked by :func:`~i2i.runtime.engine.open_session`)."""

from __future__ import annotations

from typing import Annotated

import typer

RuntimeOption = Annotated[
    str,
    typer.Option(
        "--runtime",
        help="auto | onnxruntime | openvino. auto: onnxruntime on a GPU, else OpenVINO on the CPU.",
    ),
]
PrecisionOption = Annotated[
    str,
    typer.Option(
        "--precision",
        help="auto | fp32 | bf16 | fp16. auto: bf16 on CPUs with AMX/AVX512-BF16 (OpenVINO), fp16 with "
        "TensorRT, for models that keep >= 40 dB PSNR against fp32 (checked once, remembered); else fp32.",
    ),
]
