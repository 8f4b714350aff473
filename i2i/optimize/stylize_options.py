"""What ``i2i stylize`` can be asked, as typed options (torch-free): :class:`NeuralStyleConfig` holds the
method's settings (:mod:`i2i.optimize.neural_style` optimises with them), :class:`StylizeJob` the run's
(files, styles, feature network, device, precision, and the command line's strings for the schedule, the
style layers and the blend, which it parses into the config), :class:`FastStyleRun` the ``--model`` route
(a trained fast-style model through the translate pipeline). The CLI makes one flag per field
(:mod:`i2i.options`); the defaults and help live here only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from i2i.batch import ImageJob
from i2i.errors import I2IError
from i2i.optimize.layer_weights import parse_weighted_names
from i2i.options import coerce_enums, option, require
from i2i.runtime.inputs import is_video_path
from i2i.runtime.translate_options import PRECISION_HELP, RUNTIME_HELP, Precision, Runtime, VideoOptions

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
OPTIMIZERS = ("lbfgs", "adam")
PRESERVE_COLOR = ("luminance", "histogram")
STYLE_NORMS = ("target", "none")

#: The default style weight (beta) for each ``style_norm``: ``"none"`` is the Gatys/PyTorch-tutorial
#: setting; ``"target"`` was measured (docs/stylize.md, "Content/style balance"): 6 bundled paintings x 2
#: photos at 256 px, beta 30 gives the same mean content change as the old default (relu4_2 relative
#: error 0.66, vs 0.67) with the spread across paintings down from 2.2-2.3x to 1.15-1.21x (max/min).
DEFAULT_STYLE_WEIGHTS: dict[str, float] = {"target": 30.0, "none": 1e6}

#: The default coarse-to-fine schedule: (fraction of the output long side, iterations), smallest first.
#: Chosen by measurement (benchmarks/stylize.py --schedule): most of the work at half size, where an
#: L-BFGS step costs about a quarter, then a short finish at full size. At 512 px with --amp auto (bf16)
#: it scored 0.86x the old default's style loss (512 px x 300, float32) in 0.53x the time (2026-12-01).
DEFAULT_SCHEDULE: tuple[tuple[float, int], ...] = ((0.5, 200), (1.0, 50))
#: Output long side when --size and --scales are not given (a smaller photo keeps its own size).
DEFAULT_SIZE = 512
#: Iterations per scale when --scales or --iterations is given without the other.
DEFAULT_ITERATIONS = 300


def default_schedule(size: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(scales, iterations) of the default coarse-to-fine schedule for an output long side ``size``."""
    scales = tuple(round(size * f) for f, _ in DEFAULT_SCHEDULE)
    iterations = tuple(n for _, n in DEFAULT_SCHEDULE)
    if scales[0] < 64:  # small outputs: one scale, all the iterations (a coarser pass would see nothing)
        return (size,), (sum(iterations),)
    return scales, iterations


def parse_layer_weights(spec: str) -> dict[str, float]:
    """``"relu1_1:2,relu2_1"`` -> {"relu1_1": 2.0, "relu2_1": 1.0}."""
    return parse_weighted_names(spec, "style layers given: use NAME[:WEIGHT],... (e.g. relu1_1,relu2_1:0.5)")


def parse_floats(spec: str | None, what: str) -> tuple[float, ...] | None:
    """``"0.7,0.3"`` -> (0.7, 0.3) (None stays None); I2IError naming ``what`` for anything else."""
    if spec is None:
        return None
    try:
        return tuple(float(v) for v in spec.split(",") if v.strip())
    except ValueError:
        raise I2IError(f"{what}: expected comma-separated numbers, got {spec!r}") from None


@dataclass(frozen=True)
class NeuralStyleConfig:
    """Gatys settings. Weights are for [0, 1] images and ImageNet-normalised VGG features.

    ``scales``: long sides in pixels, smallest first (the last is the output size). ``iterations``: per
    scale, one number for every scale or one per scale (coarse-to-fine: many cheap small steps, few
    large). ``lr``: None means 1.0 for L-BFGS and 0.02 for Adam. ``init``: ``content`` or ``noise`` (an
    explicit init image is passed to :func:`~i2i.optimize.neural_style.stylize`). ``style_blend``: one
    weight per style image (normalised to sum 1; None = equal). ``preserve_color``: None, ``luminance`` or
    ``histogram``. ``style_norm``: ``target`` (each style layer's term divided by its target Gram's squared
    norm, the default) or ``none`` (the unnormalised Gatys term; give ``style_weight=1e6`` with it to
    reproduce results from before the normalisation). ``style_weight`` None: the default for ``style_norm``
    (:data:`DEFAULT_STYLE_WEIGHTS`). ``layer_weights`` None: every layer of :data:`STYLE_LAYERS`, weight 1.
    """

    content_layer: str = option("relu4_2", "Content tap.")
    layer_weights: Mapping[str, float] = option(None, "Style tap -> weight (--style-layers).", cli=False)
    content_weight: float = option(1.0, "alpha (images in [0, 1]).")
    style_weight: float | None = option(
        None, "beta: larger = more of the painting [default: 30; 1e6 with --style-norm none]."
    )
    tv_weight: float = option(0.0, "Total variation weight (try 10-100).")
    optimizer: str = option("lbfgs", "lbfgs | adam.")
    iterations: int | tuple[int, ...] = option(DEFAULT_ITERATIONS, "Per scale (--iterations).", cli=False)
    lr: float | None = option(None, "Step size (default 1.0 L-BFGS, 0.02 Adam).")
    scales: tuple[int, ...] = option((DEFAULT_SIZE,), "Long sides (--size, --scales).", cli=False)
    style_scale: float = option(1.0, "Style long side relative to the content's.")
    init: str = option("content", "content | noise (--init).", cli=False)
    style_blend: tuple[float, ...] | None = option(None, "One weight per style (--style-blend).", cli=False)
    preserve_color: str | None = option(None, "luminance | histogram.")
    save_every: int = option(0, "Save NAME.iterNNNN.png every N steps (0: never).")
    seed: int = option(0, "Random seed.")
    style_norm: str = option(
        "target",
        "target | none. target divides each style layer's Gram loss by the painting's own Gram size, so one "
        "--style-weight suits any painting; none is the unnormalised loss of earlier versions (default "
        "weight 1e6).",
    )

    def __post_init__(self) -> None:
        if self.layer_weights is None:
            object.__setattr__(self, "layer_weights", dict.fromkeys(STYLE_LAYERS, 1.0))
        if self.style_norm not in STYLE_NORMS:
            raise I2IError(f"unknown --style-norm {self.style_norm!r}; valid: {', '.join(STYLE_NORMS)}")
        if self.style_weight is None:
            object.__setattr__(self, "style_weight", DEFAULT_STYLE_WEIGHTS[self.style_norm])
        if self.optimizer not in OPTIMIZERS:
            raise I2IError(f"unknown optimizer {self.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
        if self.preserve_color not in (None, *PRESERVE_COLOR):
            raise I2IError(f"unknown --preserve-color {self.preserve_color!r}; valid: luminance, histogram")
        if self.init not in ("content", "noise"):
            raise I2IError(f"unknown init {self.init!r}; valid: content, noise, or an image path")
        if not self.scales or any(s < 16 for s in self.scales):
            raise I2IError(f"sizes must be at least 16 px, got {list(self.scales)}")
        if list(self.scales) != sorted(self.scales):
            raise I2IError(f"--scales must go from small to large, got {list(self.scales)}")
        counts = self.iterations if isinstance(self.iterations, tuple) else (self.iterations,)
        if not counts or any(n < 1 for n in counts):
            raise I2IError("--iterations must be at least 1")
        if isinstance(self.iterations, tuple) and len(self.iterations) != len(self.scales):
            raise I2IError(
                f"--iterations has {len(self.iterations)} counts for {len(self.scales)} scales; give one or "
                "one per scale"
            )
        if self.style_scale <= 0:
            raise I2IError("--style-scale must be positive")
        if not self.layer_weights:
            raise I2IError("no style layers given")

    @property
    def min_side(self) -> int:
        """Smallest image side the taps allow: VGG block b is reached after b - 1 poolings."""
        blocks = [int(t[4]) for t in self.taps if len(t) > 4 and t.startswith("relu") and t[4].isdigit()]
        return 2 ** (max(blocks) - 1) if blocks else 1

    def iterations_at(self, scale_index: int) -> int:
        """Optimiser iterations at scale ``scale_index``."""
        return self.iterations[scale_index] if isinstance(self.iterations, tuple) else self.iterations

    @property
    def total_iterations(self) -> int:
        return sum(self.iterations_at(i) for i in range(len(self.scales)))

    @property
    def taps(self) -> list[str]:
        """Every feature tap the objective reads: the content layer then the style layers."""
        return list(dict.fromkeys([self.content_layer, *self.layer_weights]))


def fit_schedule(config: NeuralStyleConfig, long_side: int) -> NeuralStyleConfig:
    """``config`` with its scales shrunk in proportion so the output's long side is at most ``long_side``
    (the input's own size: never enlarge a photo unasked); unchanged when it already fits. Scales that
    would fall below 64 px collapse to one scale with all the iterations, as :func:`default_schedule` does.
    """
    if config.scales[-1] <= long_side:
        return config
    ratio = long_side / config.scales[-1]
    scales = tuple(max(16, round(side * ratio)) for side in config.scales)
    if len(scales) > 1 and scales[0] < 64:
        return replace(config, scales=(scales[-1],), iterations=config.total_iterations)
    return replace(config, scales=scales)


@dataclass(frozen=True, kw_only=True)
class StylizeJob(ImageJob):
    """Everything `i2i stylize --style ...` was asked to do: the inputs and where results go
    (:class:`ImageJob`), the styles, the feature network, and the method's settings (``config``).

    ``size``, ``scales``, ``iterations``, ``style_layers``, ``init`` and ``style_blend`` are the command
    line's values as given (strings where the CLI takes a list); when no ``config`` is given, they make it
    (:meth:`method_values`). ``init`` may name an image to start from (:attr:`init_path`). ``enlarge``:
    whether a photo smaller than the schedule's output is enlarged to it (None: when ``config`` is given,
    or when ``size`` or ``scales`` asks for a size; else the photo keeps its own size).
    """

    output: Path | None = option(
        None, "Output file (one input) or folder. Default: NAME.STYLE.png beside each input.", flags=("-o",)
    )
    backbone_weights: Path | None = option(None, "VGG weights file (skips the resolver).")
    styles: tuple[str, ...] = option(
        (), "Style image file or bundled name (repeat to blend).", flag="--style", flags=("-s",)
    )
    style_blend: str | None = option(None, "Blend weights, one per --style, e.g. 0.7,0.3.")
    size: int | None = option(
        None,
        "Output long side in pixels [default: 512, or the photo's own size when smaller: a photo is enlarged "
        "only when --size or --scales asks for it].",
    )
    scales: str | None = option(
        None, "Multi-resolution long sides, small to large, e.g. 256,512 (overrides --size)."
    )
    iterations: int | None = option(
        None,
        "Optimiser iterations per scale. Default: with neither --scales nor --iterations, a coarse-to-fine "
        "schedule (most iterations at half size, a few at --size); else 300.",
    )
    style_layers: str = option(",".join(STYLE_LAYERS), "Style taps with optional weights, NAME[:W],...")
    init: str = option("content", "content | noise | PATH to an image.")
    backbone: str = option("vgg19", "vgg19 (falls back to vgg16) | vgg16.")
    pool: str = option("max", "max | avg pooling in VGG.")
    losses_csv: Path | None = option(None, "Write the per-step loss terms to this CSV.")
    config: NeuralStyleConfig = option(None, "The method's settings.", cli=False)
    enlarge: bool | None = option(None, "Enlarge photos smaller than the output size.", cli=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        refuse_video(self.inputs)
        if not self.styles:
            raise I2IError("no style given: use --style FILE|NAME (or --model for a fast-style model)")
        object.__setattr__(self, "styles", tuple(self.styles))
        if self.enlarge is None:
            asked = self.config is not None or self.size is not None or self.scales is not None
            object.__setattr__(self, "enlarge", asked)
        if self.config is None:
            object.__setattr__(self, "config", NeuralStyleConfig(**self.method_values()))

    @property
    def init_path(self) -> Path | None:
        """The image to start from when ``init`` names one (not ``content`` or ``noise``)."""
        return None if self.init in ("content", "noise") else Path(self.init)

    def method_values(self) -> dict[str, Any]:
        """The :class:`NeuralStyleConfig` values the command line's strings give: the schedule (``size``,
        ``scales``, ``iterations``; neither scales nor iterations: :func:`default_schedule`), the style
        layers, the start and the blend.

        Raises:
            I2IError: a list that does not parse.
        """
        sizes = parse_floats(self.scales, "--scales")
        size = self.size if self.size is not None else DEFAULT_SIZE
        if sizes is None and self.iterations is None:
            scales, iterations = default_schedule(size)
        else:
            scales = tuple(int(s) for s in sizes) if sizes else (size,)
            iterations = self.iterations if self.iterations is not None else DEFAULT_ITERATIONS
        return {
            "layer_weights": parse_layer_weights(self.style_layers),
            "iterations": iterations,
            "scales": scales,
            "init": "content" if self.init_path is not None else self.init,
            "style_blend": parse_floats(self.style_blend, "--style-blend"),
        }


@dataclass(frozen=True, kw_only=True)
class FastStyleRun:
    """``i2i stylize --model``: a trained fast-style model (exported with ``i2i export``) run through the
    torch-free translate pipeline instead of the optimisation (``INPUTS... OUT_DIR``)."""

    model: str | None = option(None, "Fast-style model (registry NAME or FILE.onnx) instead of --style.")
    tile: int | None = option(None, "--model: infer in tiles of this size.")
    batch: int = option(1, "--model: images of the same size per model call.")
    runtime: Runtime = option(Runtime.auto, RUNTIME_HELP)
    precision: Precision = option(Precision.auto, PRECISION_HELP)
    stabilise: bool = option(
        True,
        "--model, video: blend each frame with the previous result warped by optical flow (less flicker).",
    )
    codec: str = option(
        "auto",
        "--model, video codec: auto (H.264; VP9 for .webm), h264, h265, vp9, av1, mpeg4 or an FFmpeg name.",
    )

    def __post_init__(self) -> None:
        coerce_enums(self)
        require(self, ("tile", "batch"), 1)
        self.video()  # checks --codec

    def video(self) -> VideoOptions:
        """What the translate pipeline does with video clips (:mod:`i2i.video`)."""
        return VideoOptions(stabilise=self.stabilise, codec=self.codec)


def refuse_video(inputs: Sequence[Path]) -> None:
    """Optimisation-based stylize works on images only: one line for the first video clip among ``inputs``.

    Raises:
        I2IError: an input is a video clip (.mp4 .mov .mkv .avi .webm).
    """
    for path in inputs:
        if is_video_path(path):
            raise I2IError(
                f"{path}: a video clip; use --model for video (a fast-style model, frame by frame)"
            )
