"""Tiny i2i ONNX exports and datasets for the evaluation tests (no torch export, no real data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image


def identity_onnx(
    path: Path, direction: str | None = "AtoB", task: str = "pix2pix", gain: float | None = None
) -> Path:
    """An i2i export whose output equals its input ([0, 1] in and out, size multiple 4), or with ``gain``
    the input times that constant (a model that darkens or brightens)."""
    import onnx
    from onnx import TensorProto, helper

    from i2i.modelfile import metadata_entries

    dims = ["N", 3, "H", "W"]
    if gain is None:
        nodes, weights = [helper.make_node("Identity", ["image"], ["output"])], []
    else:
        nodes = [helper.make_node("Mul", ["image", "gain"], ["output"])]
        weights = [helper.make_tensor("gain", TensorProto.FLOAT, [], [gain])]
    graph = helper.make_graph(
        nodes,
        "identity",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, dims)],
        initializer=weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    header = {
        "arch": {"name": "identity", "kwargs": {}},
        "io": {"in_channels": 3, "out_channels": 3, "value_range": [0, 1], "size_multiple": 4},
        "task": task,
        "direction": direction,
        "name": "identity",
    }
    helper.set_model_props(model, metadata_entries(json.dumps(header)))
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def smooth_image(size: int, seed: int) -> np.ndarray:
    """(size, size, 3) uint8: upsampled random colours (image-like, not white noise)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((size, size), Image.Resampling.BILINEAR))


def aligned_split(root: Path, split: str, count: int, size: int = 32, same: bool = False) -> Path:
    """``root/split/{i}.png``: A|B side by side, A and B different smooth images (or equal with ``same``)."""
    folder = root / split
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        a = smooth_image(size, 2 * i)
        b = a if same else smooth_image(size, 2 * i + 1)
        Image.fromarray(np.concatenate([a, b], axis=1)).save(folder / f"{i}.png")
    return root


def require_fid_weights() -> None:
    """Skip the calling test when the FID Inception weights cannot be had here (no cache, no network); only
    this lookup may turn into a skip, never an error in the evaluation itself."""
    import pytest

    from i2i.errors import I2IError
    from i2i.eval.inception_features import FID_SOURCE
    from i2i.features.resolver import resolve_weights

    try:
        resolve_weights(FID_SOURCE, log=lambda message: None)
    except I2IError as err:
        pytest.skip(f"FID Inception weights unavailable here: {err}")
