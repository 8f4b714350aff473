"""What ``i2i dream`` can be asked, as typed options (torch-free): :class:`DreamConfig` holds the method's
settings, :class:`DreamJob` the run's (files, backbone, device, precision). The CLI makes one flag per
field (:mod:`i2i.cli.options`); the defaults and help live here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from i2i.batch import ImageJob
from i2i.errors import I2IError
from i2i.optimize.layer_weights import parse_weighted_names
from i2i.options import choices, option

PRESETS: dict[str, dict[str, float]] = {
    # Low layers give strokes and geometric textures; higher ones eyes, fur and animal parts.
    "shallow": {"mixed1": 1.0, "mixed2": 1.0},
    "tutorial": {"mixed3": 1.0, "mixed5": 1.0},  # the TensorFlow tutorial's choice
    "chollet": {"mixed4": 1.0, "mixed5": 1.5, "mixed6": 2.0, "mixed7": 2.5},  # Deep Learning with Python
    "deep": {"mixed7": 1.0, "mixed8": 1.5},
}
DEFAULT_PRESET = "chollet"
#: The VGG taps dreamt on when a VGG backbone is chosen and no --layers are given.
VGG_DEFAULT_LAYERS = {"relu4_3": 1.0, "relu5_3": 1.0}
MIN_SIDE = 80  # Inception's stem and reductions need roughly this many pixels

Preset = choices("Preset", "DeepDream layer presets of Inception v3 (:data:`PRESETS`).", *PRESETS)
DreamBackbone = choices("DreamBackbone", "Frozen ImageNet networks to dream with.", "inception_v3", "vgg16",
                        "vgg19")  # fmt: skip


@dataclass(frozen=True)
class DreamConfig:
    """DeepDream settings. ``step_size`` is on the [-1, 1] image scale; ``tile`` None means whole image;
    ``layers``: layer name -> weight of its term in the objective."""

    layers: Mapping[str, float] = option(
        None, "Layer name -> weight (the CLI's --preset / --layers choose them).", cli=False
    )
    octaves: int = option(4, "Number of scales, smallest first.")
    octave_scale: float = option(1.4, "Size ratio between octaves.")
    steps: int = option(20, "Gradient-ascent steps per octave.")
    step_size: float = option(0.01, "Step on the [-1, 1] image scale (gradient / mean|g|).")
    max_loss: float | None = option(None, "Stop an octave early above this loss.")
    jitter: int = option(32, "Random roll per step, in pixels.")
    tile: int | None = option(None, "Compute gradients in tiles of this size (large images, bounded memory).")
    border: int = option(2, "Pixels cropped from each activation map's border in the objective.", cli=False)

    def __post_init__(self) -> None:
        if self.layers is None:
            object.__setattr__(self, "layers", dict(PRESETS[DEFAULT_PRESET]))
        if self.octaves < 1 or self.steps < 0 or self.octave_scale <= 1.0 or self.step_size <= 0:
            raise I2IError("need octaves >= 1, steps >= 0, octave_scale > 1 and step_size > 0")
        if self.tile is not None and self.tile < MIN_SIDE:
            raise I2IError(f"tile must be at least {MIN_SIDE} px, got {self.tile}")


@dataclass(frozen=True, kw_only=True)
class DreamJob(ImageJob):
    """Everything `i2i dream` was asked to do: the inputs and where results go (:class:`ImageJob`), the
    method's settings (``config``), the layer choice as given (``preset``, ``layers``; resolved into
    ``config.layers`` by :func:`dream_layers`), the long side each input is resized to first (``size``,
    None: its own), the backbone and the seed."""

    output: Path | None = option(
        None,
        "Output file (one input) or folder. Default: NAME.dream.png beside each input.",
        flags=("-o",),
    )
    config: DreamConfig = option(None, "The method's settings.", cli=False)
    preset: Preset = option(Preset(DEFAULT_PRESET), "Inception layer preset.")
    layers: str | None = option(None, "Layers and weights, e.g. mixed4:1.0,mixed5:1.5 (overrides --preset).")
    size: int | None = option(None, "Resize so the long side is this many pixels first.")
    backbone: DreamBackbone = option(DreamBackbone.inception_v3, "Frozen network to dream with.")
    seed: int = option(0, "Random seed (jitter).")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.config is None:
            layers = dream_layers(self.backbone, self.preset, self.layers)
            object.__setattr__(self, "config", DreamConfig(layers=layers))


def parse_layers(spec: str) -> dict[str, float]:
    """``"mixed4:1.0,mixed5:1.5"`` -> {"mixed4": 1.0, "mixed5": 1.5}; a bare name gets weight 1."""
    return parse_weighted_names(spec, "layers given: use NAME:WEIGHT,... (e.g. mixed4:1.0,mixed5:1.5)")


def dream_layers(backbone: str, preset: str = DEFAULT_PRESET, layers: str | None = None) -> dict[str, float]:
    """Layer name -> weight: ``layers`` (``NAME:WEIGHT,...``) when given, else the VGG default for a VGG
    ``backbone``, else the Inception ``preset``.

    Raises:
        I2IError: an unknown preset or a malformed ``layers`` spec.
    """
    if layers:
        return parse_layers(layers)
    if str(backbone).startswith("vgg"):
        return dict(VGG_DEFAULT_LAYERS)
    if str(preset) not in PRESETS:
        raise I2IError(f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
    return dict(PRESETS[str(preset)])
