"""What ``i2i translate`` can be asked, as typed options (torch-free): :class:`TranslateOptions` says how
the pipeline runs a folder, :class:`VideoOptions` what it does with video clips (:mod:`i2i.video`),
:class:`TranslateRun` which model, where and on what. The CLI makes one flag
per field (:mod:`i2i.cli.options`); the defaults and help live here only.
"""

from __future__ import annotations

from dataclasses import dataclass

from i2i.errors import I2IError
from i2i.options import Direction, choices, coerce_enums, option, require

Runtime = choices("Runtime", "Inference runtimes (:func:`i2i.runtime.engine.choose_runtime`).", "auto",
                  "onnxruntime", "openvino")  # fmt: skip
Precision = choices("Precision", "Inference precisions (:func:`i2i.runtime.engine.open_session`).", "auto",
                    "fp32", "bf16", "fp16", "int8")  # fmt: skip
InferenceDevice = choices("InferenceDevice", "Where inference runs (onnxruntime providers).", "auto", "cpu",
                          "cuda", "tensorrt")  # fmt: skip
OutputFormat = choices("OutputFormat", "Output image formats.", "same", "png", "jpg", "webp")

#: The help of every --runtime and --precision option (translate, serve, demo, stylize --model).
RUNTIME_HELP = "auto: onnxruntime on a GPU, else OpenVINO on the CPU."
PRECISION_HELP = (
    "auto: bf16 on CPUs with AMX/AVX512-BF16 (OpenVINO), fp16 with TensorRT, for models that keep >= 40 dB "
    "PSNR against fp32 (checked once, remembered); else fp32. auto and int8 run the int8 file `i2i export "
    "--int8` made beside the model (auto: on CPUs with VNNI/AMX-INT8, when it passed its gate)."
)


@dataclass(frozen=True, kw_only=True)
class TranslateOptions:
    """How to run a folder.

    ``batch``: images of one padded size per model call (tiles per call when tiling). ``tile``/``overlap``:
    tiled inference in pixels (None: whole images). ``resize``: scale each image so its long side is this
    many pixels first (None: never resize). ``quality``: JPEG/WebP quality. ``workers``: threads for
    decoding and, separately, for encoding.
    """

    batch: int = option(1, "Images of the same size per model call.")
    tile: int | None = option(None, "Infer in tiles of this size (large images).")
    overlap: int = option(64, "Tile overlap in pixels (feathered).")
    resize: int | None = option(None, "Scale so the long side is this many pixels (default: never resize).")
    quality: int = option(95, "JPEG/WebP quality (1-100).")
    overwrite: bool = option(False, "Replace existing outputs (else they are skipped).")
    workers: int = option(2, "Image decode threads and as many encode threads (the model uses --threads).")

    def __post_init__(self) -> None:
        require(self, ("batch", "tile", "resize", "quality", "workers"), 1)
        require(self, ("overlap",), 0)
        if self.quality > 100:
            raise I2IError(f"quality must be <= 100, got {self.quality}")
        if self.tile is not None and self.overlap >= self.tile:
            raise I2IError(f"--overlap {self.overlap} must be smaller than --tile {self.tile}")


@dataclass(frozen=True, kw_only=True)
class VideoOptions:
    """How video clips (.mp4 .mov .mkv .avi .webm) are translated (:mod:`i2i.video`).

    ``stabilise``: blend each result with the previous one warped by optical flow where the flow is
    reliable (less flicker). ``codec``: the video encoder; ``auto`` is H.264 (VP9 for .webm).
    """

    stabilise: bool = option(
        True, "Video: blend each frame with the previous result warped by optical flow (less flicker)."
    )
    codec: str = option(
        "auto", "Video codec: auto (H.264; VP9 for .webm), h264, h265, vp9, av1, mpeg4 or an FFmpeg encoder."
    )

    def __post_init__(self) -> None:
        if not self.codec.strip():
            raise I2IError("--codec must name a codec (auto, h264, h265, vp9, av1, mpeg4, ...)")


@dataclass(frozen=True, kw_only=True)
class TranslateRun:
    """Which model ``i2i translate`` runs, how it finds inputs, and where the model runs."""

    model: str = option(help="Model name or an .onnx file from `i2i export`.", flags=("-m",))
    direction: Direction | None = option(None, "Which model when a name has two.")
    glob: str | None = option(None, "Only images in folders matching this pattern ('*.jpg', 'day/*').")
    recursive: bool = option(True, "Search folders recursively.")
    format: OutputFormat = option(OutputFormat.same, "Output format.")
    device: InferenceDevice = option(InferenceDevice.auto, "Where inference runs.")
    runtime: Runtime = option(Runtime.auto, RUNTIME_HELP)
    precision: Precision = option(Precision.auto, PRECISION_HELP)
    threads: int | None = option(None, "CPU threads (default: all cores).")
    progress: bool = option(True, "Show a progress bar.")
    ray: str | None = option(
        None,
        "Run on Ray Data: 'local' (a local runtime), 'auto', HOST:PORT or ray://HOST:PORT (a cluster). "
        "Inputs and OUT_DIR may be s3://, gs://... URIs. Needs pip install 'i2i[ray]'.",
    )
    ray_actors: int | None = option(
        None, "With --ray: at most this many model actors (default: fill the cluster)."
    )

    def __post_init__(self) -> None:
        coerce_enums(self)
        require(self, ("threads", "ray_actors"), 1)
