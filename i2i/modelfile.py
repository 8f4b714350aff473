"""The i2i model file format: what an i2i ONNX file says about itself in its ``metadata_props``
(torch-free; :func:`read_model_info` needs only the ``onnx`` package).

:func:`metadata_entries` (used by the exporter) and :func:`model_info_from_metadata` (used by the runtime
and the model zoo) are the two halves of one format: the full checkpoint header as JSON under
:data:`HEADER_KEY`, plus a few flat keys that tools such as Netron show directly.

The exported graph's own boundary is fixed: input float32 (N, C_in, H, W) in [0, 1], output float32
(N, C_out, H, W) in [0, 1]; the network's internal range (usually [-1, 1]) is converted inside the graph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from i2i.errors import I2IError
from i2i.specs import IOSpec
from i2i.tasks import DIRECTIONS, find, task_names

FORMAT = "i2i.onnx"
FORMAT_VERSION = 1

HEADER_KEY = "i2i.header"
FORMAT_KEY = "i2i.format"
FORMAT_VERSION_KEY = "i2i.format_version"
NAME_KEY = "i2i.name"
TASK_KEY = "i2i.task"
DIRECTION_KEY = "i2i.direction"
ARCH_KEY = "i2i.arch"
SIZE_MULTIPLE_KEY = "i2i.size_multiple"
IO_RANGE_KEY = "i2i.io_range"
PRECISION_KEY = "i2i.precision"
#: reflection padding the export put around the generator (``i2i export --pad``); absent when none
INPUT_PAD_KEY = "i2i.input_pad"
#: how far the graph moves the image towards the generator's output (``i2i export --strength``); absent at 1
STRENGTH_KEY = "i2i.strength"

#: Value range of the exported graph's input and output tensors.
IO_RANGE = (0.0, 1.0)

#: What a model file may declare; anything else is refused when it loads (the file is not trusted). Its
#: task must be one of :mod:`i2i.tasks` and its direction one of ``DIRECTIONS`` (or none).
KNOWN_PRECISIONS = ("fp32", "fp16", "bf16", "int8")
MAX_SIZE_MULTIPLE = 1024
MAX_CHANNELS = 4
MAX_NAME_LENGTH = 128
MAX_INPUT_PAD = 1024
MAX_STRENGTH = 4.0


def min_side(multiple: int) -> int:
    """The smallest side fed to a model with this size multiple: two multiples, so the deepest feature map
    is at least 2 x 2 (a 1-pixel map cannot be reflect-padded inside the network; 1x1 or 1x4000 inputs
    used to fail there)."""
    return 2 * multiple


@dataclass(frozen=True)
class ModelInfo:
    """An exported model's description.

    ``io``: the network's IO spec from the checkpoint (``io.value_range`` is the network's internal range;
    the ONNX graph itself always takes and returns [0, 1]). ``precision``: ``fp32`` or ``fp16`` (weights
    and arithmetic; the graph's inputs and outputs stay float32 either way). ``input_pad``: pixels of
    reflection the graph adds on every side before the generator and crops off after (``i2i export
    --pad``), so an H x W input runs the network on (H + 2 pad) x (W + 2 pad). ``strength``: the graph
    returns ``input + strength * (translation - input)``, clamped (``i2i export --strength``; 1: the
    generator's own output).
    """

    arch: str
    io: IOSpec
    task: str
    direction: str | None
    name: str | None
    domains: tuple[str, str] | None
    precision: str
    header: dict[str, Any]
    input_pad: int = 0
    strength: float = 1.0

    @property
    def size_multiple(self) -> int:
        return self.io.size_multiple

    def check_batch(self, batch: Any) -> None:
        """Raise ``ValueError`` unless ``batch`` is (N, in_channels, H, W) with H and W multiples of
        :attr:`size_multiple` (what every session's ``__call__`` accepts)."""
        m = self.size_multiple
        if batch.ndim != 4 or batch.shape[1] != self.io.in_channels:
            channels = self.io.in_channels
            raise ValueError(f"expected (N, {channels}, H, W) float32 in [0, 1], got {batch.shape}")
        if batch.shape[2] % m or batch.shape[3] % m:
            raise ValueError(f"H and W must be multiples of {m}, got {batch.shape[2]}x{batch.shape[3]}")

    def describe(self) -> str:
        """One line: ``apple2orange (cyclegan, AtoB) resnet_9blocks fp32, sides multiple of 4``."""
        label = self.name or "unnamed"
        task = ", ".join(x for x in (self.task, self.direction) if x)
        strength = f", strength {self.strength:g}" if self.strength != 1.0 else ""
        return (
            f"{label} ({task}) {self.arch} {self.precision}{strength}, sides multiple of {self.size_multiple}"
        )


def metadata_entries(
    header_json: str, precision: str = "fp32", input_pad: int = 0, strength: float = 1.0
) -> dict[str, str]:
    """The ``metadata_props`` key/value strings for an export of a model with this header JSON."""
    header = json.loads(header_json)
    io = header.get("io", {})
    optional = {INPUT_PAD_KEY: str(input_pad)} if input_pad else {}
    if strength != 1.0:
        optional[STRENGTH_KEY] = repr(float(strength))
    return optional | {
        FORMAT_KEY: FORMAT,
        FORMAT_VERSION_KEY: str(FORMAT_VERSION),
        HEADER_KEY: header_json,
        NAME_KEY: str(header.get("name") or ""),
        TASK_KEY: str(header.get("task") or ""),
        DIRECTION_KEY: str(header.get("direction") or ""),
        ARCH_KEY: str(header.get("arch", {}).get("name", "")),
        SIZE_MULTIPLE_KEY: str(io.get("size_multiple", 1)),
        IO_RANGE_KEY: f"{IO_RANGE[0]:g},{IO_RANGE[1]:g}",
        PRECISION_KEY: precision,
    }


def model_info_from_metadata(props: dict[str, str], source: str = "model") -> ModelInfo:
    """Parse ``metadata_props`` (as a dict) of an i2i export; I2IError if it is not one."""
    if props.get(FORMAT_KEY) != FORMAT or HEADER_KEY not in props:
        raise I2IError(
            f"{source}: not an i2i ONNX export (no '{HEADER_KEY}' metadata); create one with `i2i export`"
        )
    version = props.get(FORMAT_VERSION_KEY, "")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise I2IError(
            f"{source}: i2i ONNX format version {version or '?'} is newer than this i2i supports "
            f"({FORMAT_VERSION}); upgrade i2i"
        )
    try:
        header = json.loads(props[HEADER_KEY])
        io = IOSpec.from_dict(header["io"])
        domains = header.get("domains")
        info = ModelInfo(
            arch=str(header["arch"]["name"]),
            io=io,
            task=str(header.get("task") or "unknown"),
            direction=header.get("direction"),
            name=header.get("name"),
            domains=(str(domains[0]), str(domains[1])) if domains else None,
            precision=props.get(PRECISION_KEY, "fp32"),
            header=header,
            input_pad=int(props.get(INPUT_PAD_KEY, "0")),
            strength=float(props.get(STRENGTH_KEY, "1")),
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        raise I2IError(f"{source}: i2i metadata is malformed ({err})") from None
    problem = metadata_problem(info)
    if problem:
        raise I2IError(f"{source}: invalid i2i metadata: {problem}")
    return info


def metadata_problem(info: ModelInfo) -> str | None:
    """Why ``info`` cannot be used (one phrase), or None when every value is in range.

    Checked: size multiple 1..1024, input pad 0..1024, strength in (0, 4], input/output channels 1..4, a
    known task and precision, a direction of AtoB/BtoA or none, and a name of printable characters (at
    most 128).
    """
    io = info.io
    if not 1 <= io.size_multiple <= MAX_SIZE_MULTIPLE:
        return f"size_multiple {io.size_multiple} is outside 1..{MAX_SIZE_MULTIPLE}"
    if not 0 <= info.input_pad <= MAX_INPUT_PAD:
        return f"input_pad {info.input_pad} is outside 0..{MAX_INPUT_PAD}"
    if not 0.0 < info.strength <= MAX_STRENGTH:  # also refuses NaN
        return f"strength {info.strength} is outside (0, {MAX_STRENGTH:g}]"
    for label, channels in (("in_channels", io.in_channels), ("out_channels", io.out_channels)):
        if not 1 <= channels <= MAX_CHANNELS:
            return f"{label} {channels} is outside 1..{MAX_CHANNELS}"
    if find(info.task) is None:
        return f"task {info.task!r} is not one of {', '.join(task_names())}"
    if info.precision not in KNOWN_PRECISIONS:
        return f"precision {info.precision!r} is not one of {', '.join(KNOWN_PRECISIONS)}"
    if info.direction is not None and info.direction not in DIRECTIONS:
        return f"direction {info.direction!r} is not AtoB, BtoA or absent"
    name = info.name
    if name is not None and (
        not isinstance(name, str) or not name.isprintable() or len(name) > MAX_NAME_LENGTH
    ):
        return f"name {str(name)[:40]!r} is not printable text of at most {MAX_NAME_LENGTH} characters"
    return None


def read_model_info(path: Path) -> ModelInfo:
    """The header an i2i export carries in ``metadata_props``, read with :mod:`onnx` (no runtime needed).

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
