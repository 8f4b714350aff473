"""The options of each recipe: :class:`Pix2PixConfig`, :class:`CycleGANConfig`, :class:`CUTConfig`,
:class:`FastStyleConfig`. Torch-free like :mod:`i2i.train.config`, whose :class:`GanConfig` /
:class:`RunConfig` they extend, redeclaring the fields whose defaults differ. Each recipe module re-exports
its config (``from i2i.train.pix2pix import Pix2PixConfig`` keeps working).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from i2i.errors import I2IError
from i2i.options import check_ranges
from i2i.train.config import Downsample, GanConfig, GanMode, Init, Norm, RunConfig, Upsample, option, require

#: DiffAugment's transforms, in the order they are applied (Zhao et al. 2020, arXiv 2006.10738).
DIFFAUG_TRANSFORMS = ("color", "translation", "cutout")


def parse_diffaug(policy: str) -> tuple[str, ...]:
    """``"translation,cutout"`` -> ("translation", "cutout"); "" -> (); I2IError on an unknown name."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in names if p not in DIFFAUG_TRANSFORMS]
    if unknown:
        raise I2IError(
            f"diffaug: unknown transform {unknown[0]!r} (choose from {', '.join(DIFFAUG_TRANSFORMS)})"
        )
    return names


# ------------------------------------------------------------------------------------------------ pix2pix
@dataclass(frozen=True, kw_only=True)
class Pix2PixConfig(GanConfig):
    """A Pix2Pix run. The defaults are the paper's (Isola et al. 2017): U-Net 256 generator, 70x70
    PatchGAN, batch norm, vanilla GAN loss, lambda_L1 = 100, Adam 2e-4 (0.5, 0.999), batch 1, jitter
    (resize to 286, random 256 crop, flip), 100 epochs at constant lr then 100 of linear decay to 0."""

    num_downs: int | None = option(None, "Depth of --net-g unet (input sides: multiples of 2^N).")
    lambda_l1: float = option(100.0, "Weight of the L1 term.")
    val_every: int = option(1, "Epochs between validation passes (L1 / PSNR / SSIM on val/).")
    val_images: int | None = option(None, "Validate on at most this many images [all].")

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self, ("val_every", "val_images"), 1)


# ------------------------------------------------------------------------------------------------ CycleGAN
@dataclass(frozen=True, kw_only=True)
class CycleGANConfig(GanConfig):
    """A CycleGAN run. The defaults are the paper's (Zhu et al. 2017): resnet_9blocks generators at 256 px
    (resnet_6blocks at 128), instance norm, LSGAN loss, lambda_cyc = 10 both ways, identity 0.5 x
    lambda_cyc, a 50-image pool per discriminator, Adam 2e-4 (0.5, 0.999), batch 1, 100 + 100 epochs.
    ``direction`` AtoB trains the dataset's A -> B as G; BtoA swaps the roles of the two folders."""

    discriminator_channels: ClassVar[int] = 3

    data: str = option(
        help="Dataset with trainA/ and trainB/: a catalog name (fetched if absent) or a folder.",
        hint="a catalog name such as `apple2orange`, or a folder",
    )
    netG: str = option("resnet_9blocks", "Generator: resnet_9blocks | resnet_6blocks | unet_256 | unet_128.")
    norm: Norm = option(Norm.instance, "Normalisation layers.")
    dropout: bool = option(False, "Dropout in the generators.")
    gan_mode: GanMode = option(GanMode.lsgan, "Adversarial loss.")
    lambda_A: float = option(10.0, "Weight of the A -> B -> A cycle.")
    lambda_B: float = option(10.0, "Weight of the B -> A -> B cycle.")
    lambda_identity: float = option(0.5, "Identity weight, relative to the cycle weights.")
    pool_size: int = option(50, "Past fakes kept per discriminator.")
    serial_batches: bool = option(False, "Pair A[i] with B[i] instead of a random B.")
    n_samples: int = option(3, "Images per direction in the sample grids.")

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self, ("lambda_A", "lambda_B", "lambda_identity", "pool_size"), 0)


# ------------------------------------------------------------------------------------------------ CUT
#: (CUT, FastCUT) defaults of the options whose default depends on ``--fast``.
MODE_DEFAULTS: dict[str, tuple[Any, Any]] = {
    "lambda_NCE": (1.0, 10.0),
    "nce_idt": (True, False),
    "flip_equivariance": (False, True),
    "epochs": (200, 150),
    "epochs_decay": (200, 50),
}


@dataclass(frozen=True, kw_only=True)
class CUTConfig(GanConfig):
    """A CUT (or, with ``fast``, FastCUT) run. The defaults are the authors' (Park et al. 2020 and their
    code): resnet_9blocks with anti-aliased resampling, instance norm, Xavier init, LSGAN loss, PatchNCE
    on layers 0,4,8,12,16 with 256 patches and tau = 0.07, Adam 2e-4 (0.5, 0.999). Options left at None
    take the CUT or FastCUT default (:data:`MODE_DEFAULTS`)."""

    discriminator_channels: ClassVar[int] = 3

    data: str = option(
        help="Dataset with trainA/ and trainB/: a catalog name (fetched if absent) or a folder.",
        hint="a catalog name such as `apple2orange`, or a folder",
    )
    fast: bool = option(False, "FastCUT: lambda-nce 10, no identity NCE, flip-equivariance, 150+50 epochs.")
    netG: str = option("resnet_9blocks", "Generator: resnet_9blocks | resnet_6blocks (ResNet only).")
    norm: Norm = option(Norm.instance, "Normalisation layers.")
    dropout: bool = option(False, "Dropout in the generator.")
    init: Init = option(Init.xavier, "Weight initialisation (G, D and the PatchNCE head).")
    gan_mode: GanMode = option(GanMode.lsgan, "Adversarial loss.")
    downsample: Downsample = option(Downsample.blur, "Generator down-sampling: blur (anti-aliased) | stride.")
    upsample: Upsample = option(Upsample.blur, "Generator up-sampling: blur (anti-aliased) | transpose | "
                                "resize-conv.")  # fmt: skip
    residual: bool = option(
        False,
        "Generator output = clamp(input + tanh head, -1, 1): it learns a change to the image (not in "
        "the paper; keeps the input's detail in short runs).",
    )
    decoder_norm: Norm | None = option(
        None,
        "Norm of the generator's decoder half (last residual blocks, up-sampling) if not --norm's: "
        "--norm instance --decoder-norm layer keeps instance norm in the encoder and removes the decoder's "
        "dark blotches (not in the paper).",
    )
    antialias_D: bool = option(True, "Anti-aliased (blur-pool) down-sampling in the discriminator.")
    epochs: int | None = option(None, "Epochs at the initial learning rate [200; --fast 150].")
    epochs_decay: int | None = option(None, "Epochs of learning-rate decay [200; --fast 50].")
    lambda_GAN: float = option(1.0, "Weight of the adversarial term.")
    lambda_NCE: float | None = option(None, "Weight of the PatchNCE terms [1; --fast 10].")
    nce_idt: bool | None = option(None, "Identity PatchNCE on G(y) vs y, averaged with the main term [on; "
                                  "--fast off].")  # fmt: skip
    flip_equivariance: bool | None = option(
        None, "Flip the input left-right at random and the output features back [off; --fast on]."
    )
    nce_layers: str = option("0,4,8,12,16", "Generator layers for PatchNCE (comma-separated indices).")
    num_patches: int = option(256, "Locations sampled per layer.")
    nce_temperature: float = option(0.07, "PatchNCE temperature tau.")
    diffaug: str = option(
        "",
        "DiffAugment for D's inputs, real and fake, in D's and G's updates (i2i.train.diffaugment): "
        "comma-separated from translation, cutout, color; empty: off. Leave color out when colour is what "
        "the translation changes.",
    )
    jitter_in_decay: bool = option(
        False, "Keep the resize-and-crop jitter in the decay epochs; the authors load at the crop size there "
        "(no crop jitter, flips stay)."
    )  # fmt: skip
    n_samples: int = option(3, "Images in the sample grids.")

    def __post_init__(self) -> None:
        for name, defaults in MODE_DEFAULTS.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, defaults[int(bool(self.fast))])
        super().__post_init__()
        require(self, ("lambda_GAN", "lambda_NCE"), 0)
        require(self, ("num_patches",), 1)
        if not self.nce_temperature > 0:
            raise I2IError(f"nce-temperature must be > 0, got {self.nce_temperature}")
        self.layers()
        parse_diffaug(self.diffaug)

    def layers(self) -> tuple[int, ...]:
        """``nce_layers`` as integers."""
        try:
            return tuple(int(v) for v in self.nce_layers.split(","))
        except ValueError:
            raise I2IError(f"nce-layers must be comma-separated integers, got {self.nce_layers!r}") from None


# ------------------------------------------------------------------------------------------------ fast style
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


class StyleLoss(StrEnum):
    """The perceptual objective a fast-style network learns (:data:`STYLE_LOSSES`)."""

    johnson = "johnson"
    gatys = "gatys"


@dataclass(frozen=True)
class StyleLossPreset:
    """One objective's VGG16 taps and weights. ``style_norm``: ``none`` (each layer's Gram MSE as it is) or
    ``target`` (divided by the painting's own mean squared Gram, as ``i2i stylize`` does)."""

    content_layer: str
    style_layers: tuple[str, ...]
    style_norm: str
    content_weight: float
    style_weight: float


#: ``johnson``: Johnson et al.'s (2016) objective. ``gatys``: the one ``i2i stylize`` optimises per photo
#: (:mod:`i2i.optimize.neural_style` defaults: content relu4_2 at weight 1, target-normalised Grams at
#: relu1_1..relu5_1 at weight 30), so the network learns what the optimisation does.
STYLE_LOSSES: dict[StyleLoss, StyleLossPreset] = {
    StyleLoss.johnson: StyleLossPreset("relu2_2", STYLE_LAYERS, "none", 1e5, 1e10),
    StyleLoss.gatys: StyleLossPreset(
        "relu4_2", ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"), "target", 1.0, 30.0
    ),
}


class StyleNorm(StrEnum):
    """Where the transformer network normalises (:class:`i2i.nn.transformer.TransformerNet`)."""

    instance = "instance"
    encoder = "encoder"


@dataclass(frozen=True, kw_only=True)
class FastStyleConfig(RunConfig):
    """A fast-style run. The defaults are Johnson et al.'s (2016): content weight 1e5 at relu2_2, style
    weight 1e10 on Grams at relu1_2, relu2_2, relu3_3, relu4_3 of a frozen VGG16, Adam 1e-3, batch 4,
    2 epochs of 256x256 crops. ``--resume`` also takes ``--epochs`` (the learning rate is constant, so a
    run extended this way trains on as if planned longer; with ``--lr`` it adds a low-rate tail)."""

    resume_overrides: ClassVar[tuple[str, ...]] = (*RunConfig.resume_overrides, "epochs")

    style: str = option(help="Style image: a file or a bundled name.", hint="a file or a bundled name")
    data: str = option(help="Folder of photos (searched recursively).", hint="a folder of photos")
    epochs: int = option(2, "Passes over the photos.")
    batch_size: int = option(4, "Photos per step (per process).")
    lr: float = option(1e-3, "Adam learning rate.")
    size: int = option(256, "Training crop side (a multiple of 4).")
    load_size: int | None = option(
        None,
        "Short side photos are resized to before the random --size crop [--size]; a load size at the "
        "scale the model will run at keeps strokes and objects at that scale (e.g. 256 with --size 128).",
    )
    style_size: int | None = option(512, "Long side the style image is resized to (0 keeps its size).")
    loss: StyleLoss = option(
        StyleLoss.johnson,
        "The objective: johnson (Johnson et al.: content relu2_2, unnormalised Grams at relu1_2..relu4_3, "
        "weights 1e5 / 1e10) or gatys (what `i2i stylize --style` optimises per photo: content relu4_2, "
        "Grams at relu1_1..relu5_1 each relative to the painting's, weights 1 / 30).",
    )
    content_weight: float | None = option(None, "lambda_c [the --loss's: 1e5 johnson, 1 gatys].")
    style_weight: float | None = option(None, "lambda_s [the --loss's: 1e10 johnson, 30 gatys].")
    tv_weight: float = option(0.0, "Total variation weight.")
    grid_weight: float = option(
        0.0,
        "Weight of the penalty on the output's local period-4 pattern (i2i.losses.grid_loss: the up-sampling "
        "grid a network can fill with a fixed pattern that VGG16's Grams take for brush texture).",
        min=0.0,
    )
    content_layer: str | None = option(None, "VGG16 layer of the content loss [the --loss's].")
    style_layers: tuple[str, ...] = option((), "VGG16 layers of the style loss [the --loss's].", cli=False)
    style_norm: str | None = option(
        None,
        "none (each style layer's Gram MSE as it is: Johnson's, where relu4_3 carries under 1% of the "
        "style term) or target (each divided by the painting's mean squared Gram, so every layer counts "
        "alike; give --style-weight with it) [the --loss's].",
    )
    loss_scales: str = option(
        "1",
        "Image scales the loss is computed at, comma-separated (e.g. 1,0.5: also on the output and photo "
        "shrunk to half against the painting at half --style-size, averaged; larger strokes, as the "
        "coarse-to-fine schedule of `i2i stylize` gives).",
    )
    ngf: int = option(32, "Width of the transformer network.")
    n_blocks: int = option(5, "Residual blocks of the transformer network.")
    norm: StyleNorm = option(
        StyleNorm.instance,
        "Instance norm in every conv (instance, Johnson et al.) or in the encoder only (encoder: against the "
        "dark droplet blotches instance norm grows; see i2i.nn.transformer).",
    )
    pad: int = option(
        0,
        "Reflection padding added around the input and cropped off the output, a multiple of 4 (Johnson et "
        "al. pad 40): keeps the network's own borders out of the picture; costs (size + 2 pad)^2 / size^2.",
    )
    backbone_weights: str | None = option(None, "VGG16 weights file (skips the weights resolver).")
    workers: int = option(0, "Data-loader worker processes (0: load in the training process).")
    log_every: int = option(10, "Steps between train_log.jsonl records (losses are read back only then).")
    sample_every: int = option(200, "Steps between sample grids.")
    state_every: int = option(500, "Steps between saves of the resumable state last.pt.")
    snapshot_every: int | None = option(
        500, "Steps between numbered release checkpoints checkpoints/step_<N>_model.pt."
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self, ("epochs",), 1)
        check_ranges(self)
        if self.size < 16 or self.size % 4:
            raise I2IError(f"--size must be a multiple of 4 and at least 16, got {self.size}")
        if self.load_size is not None and self.load_size < self.size:
            raise I2IError(f"--load-size ({self.load_size}) must be at least --size ({self.size})")
        if self.pad < 0 or self.pad % 4 or self.pad >= self.size:
            raise I2IError(f"--pad must be a multiple of 4 from 0 to below --size, got {self.pad}")
        if self.grid_weight and self.size < 32:
            raise I2IError(f"--grid-weight needs --size 32 or more (its blocks are 32 px), got {self.size}")
        if self.style_size == 0:
            object.__setattr__(self, "style_size", None)
        preset = STYLE_LOSSES[StyleLoss(self.loss)]
        if self.style_norm not in (None, preset.style_norm) and self.style_weight is None:
            # The two norms put the style term on scales some 1e3-1e4 apart: no one weight serves both.
            raise I2IError(
                f"--style-norm {self.style_norm} with --loss {self.loss} needs --style-weight (the --loss's "
                f"{preset.style_weight:g} is for --style-norm {preset.style_norm})"
            )
        for name in ("content_layer", "style_norm", "content_weight", "style_weight"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, getattr(preset, name))
        if not self.style_layers:
            object.__setattr__(self, "style_layers", preset.style_layers)
        if self.style_norm not in ("none", "target"):
            raise I2IError(f"style_norm must be none or target, got {self.style_norm!r}")
        self.scales  # noqa: B018 - checks --loss-scales now, not at the first step

    @property
    def scales(self) -> tuple[float, ...]:
        """``loss_scales`` as floats in (0, 1], largest first."""
        try:
            values = tuple(float(v) for v in self.loss_scales.split(","))
        except ValueError:
            values = ()
        if not values or any(not 0 < v <= 1 for v in values):
            wanted = "comma-separated numbers in (0, 1]"
            raise I2IError(f"--loss-scales must be {wanted}, got {self.loss_scales!r}")
        return tuple(sorted(values, reverse=True))
