"""Read an i2i ONNX export's self-description without onnxruntime or torch."""

from __future__ import annotations

from pathlib import Path

from i2i.errors import I2IError
from i2i.runtime.metadata import ModelInfo, model_info_from_metadata


def read_model_info(path: Path) -> ModelInfo:
    """The header an i2i export carries in ``metadata_props``.

    Raises:
        I2IError: missing, unreadable, or not an i2i export.
    """
    import onnx

    if not path.is_file():
        raise I2IError(f"{path}: no such model file")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as err:  # protobuf raises DecodeError and friends
        raise I2IError(f"{path}: not a readable ONNX file ({type(err).__name__})") from None
    props = {p.key: p.value for p in model.metadata_props}
    return model_info_from_metadata(props, source=str(path))
