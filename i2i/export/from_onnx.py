"""Rebuild the torch generator inside an i2i ONNX export, so a shipped model can be exported again with
other options (``i2i export model.onnx --strength 1.5``) without the checkpoint it came from.

An i2i export keeps the checkpoint header in its metadata (:mod:`i2i.modelfile`) and the
generator's weights as initializers named ``generator.<state_dict key>`` (the :class:`ExportWrapper`
attribute), which is all a rebuild needs. Exceptions: the exporter's optimiser merges initializers that
hold equal values into one unnamed tensor, and drops a Conv's all-zero bias (as in a freshly initialised
network); such a parameter is found through the node that reads its named sibling (a Conv's bias is the
input after its weight, and zero when the node has none). float16 weights come back as float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from i2i.errors import I2IError, load_state_dict_reason
from i2i.modelfile import HEADER_KEY, ModelInfo, model_info_from_metadata

#: the prefix :class:`~i2i.export.wrapper.ExportWrapper` gives the generator's parameters in the graph
WEIGHT_PREFIX = "generator."


@dataclass(frozen=True)
class RebuiltGenerator:
    """The generator (CPU, float32, eval mode), the header JSON it was exported with, and the file's
    own description (its pad, strength and precision)."""

    module: nn.Module
    header_json: str
    info: ModelInfo


def generator_from_onnx(path: str | Path) -> RebuiltGenerator:
    """Rebuild the generator of the i2i ONNX file at ``path``.

    Raises:
        I2IError: the file is not a readable i2i export, or its weights do not fill the architecture its
            header names (e.g. a graph whose initializers lost their parameter names).
    """
    from i2i.checkpoint import ModelHeader, build_module

    path = Path(path)
    if not path.is_file():
        raise I2IError(f"{path}: model not found")
    try:
        model = onnx.load(str(path))
    except Exception as err:  # protobuf raises several types for a truncated or foreign file
        raise I2IError(f"{path}: not a readable ONNX file ({type(err).__name__})") from None
    props = {p.key: p.value for p in model.metadata_props}
    info = model_info_from_metadata(props, str(path))
    header = ModelHeader.from_dict(info.header)
    if header.role != "generator":
        raise I2IError(f"{path}: holds a {header.role}; only generators can be exported for translation")
    module = build_module(header)
    state = _named_weights(model.graph, module.state_dict())
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise I2IError(
            f"{path}: its weights do not rebuild {header.arch.name!r} ({load_state_dict_reason(err)[:200]}); "
            "export again from the checkpoint instead"
        ) from None
    return RebuiltGenerator(module.eval(), props[HEADER_KEY], info)  # the header text as exported


def _named_weights(graph: onnx.GraphProto, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The generator's state dict read off ``graph``'s initializers (float32); a weight or bias the
    exporter merged into an unnamed tensor, or a Conv bias it dropped (all zero), is recovered through the
    node that reads its named sibling."""
    tensors = {init.name: init for init in graph.initializer}
    names = {key: WEIGHT_PREFIX + key for key in expected if WEIGHT_PREFIX + key in tensors}
    zeros: dict[str, torch.Tensor] = {}
    sibling_of = {"weight": ("bias", -1), "bias": ("weight", 1)}  # (sibling, own input index - sibling's)
    for key, value in expected.items():
        owner, _, leaf = key.rpartition(".")
        if key in names or leaf not in sibling_of:
            continue
        sibling, step = sibling_of[leaf]
        sibling_name = f"{WEIGHT_PREFIX}{owner}.{sibling}"
        for node in graph.node:
            if sibling_name not in node.input:
                continue
            at = list(node.input).index(sibling_name) + step
            if leaf == "bias" and node.op_type in ("Conv", "ConvTranspose") and len(node.input) <= at:
                zeros[key] = torch.zeros_like(value, dtype=torch.float32)
                break
            candidate = node.input[at] if 0 <= at < len(node.input) else ""
            if candidate in tensors and tuple(tensors[candidate].dims) == tuple(value.shape):
                names[key] = candidate
                break
    return zeros | {
        key: torch.from_numpy(np.array(numpy_helper.to_array(tensors[name]), dtype=np.float32))
        for key, name in names.items()
    }
