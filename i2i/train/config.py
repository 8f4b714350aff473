"""Training options as frozen dataclasses: the one place each option, its default and its help live.

The `i2i train <recipe>` commands are generated from these classes (:mod:`i2i.cli.train`): every field
becomes a kebab-case flag (``lambda_A`` -> ``--lambda-a``, with the paper spelling ``--lambda-A`` kept as
an alias), enum fields become choices listed in ``--help``, and a field's ``help`` metadata is its help.
Torch-free, so the CLI can read it without importing torch.

* :class:`RunConfig`: what every recipe shares (output, bounds, runtime, logging, EMA, snapshots, the
  divergence guard).
* :class:`GanConfig`: what the GAN recipes add (datasets, networks, GAN objective, Adam, lr schedule, crops,
  quality probes). Recipe configs (:mod:`i2i.train.recipe_configs`) extend one of them and redeclare the
  fields whose defaults differ.

Units: ``epochs`` / ``epochs_decay`` count epochs; every ``*_every`` counts optimizer steps (``val_every``:
epochs). Sizes are pixels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any, ClassVar, Self

from i2i.errors import I2IError
from i2i.options import Amp, Device, Direction, choices, coerce_enums, enum_of, field_types, option, require

__all__ = [
    "Amp",
    "Device",
    "Direction",
    "Downsample",
    "GanConfig",
    "GanMode",
    "Init",
    "LrPolicy",
    "Norm",
    "Preprocess",
    "RunConfig",
    "Upsample",
    "enum_of",
    "field_types",
    "option",
    "require",
]


# ------------------------------------------------------------------------------------------------ choices
GanMode = choices(
    "GanMode", "Adversarial losses (:mod:`i2i.losses.gan`).", "vanilla", "lsgan", "wgangp", "hinge"
)
Norm = choices("Norm", "Normalisation layers (:mod:`i2i.nn`).", "batch", "instance", "layer", "none")
LrPolicy = choices("LrPolicy", "Learning-rate policies (:mod:`i2i.train.schedules`).", "linear", "step",
                   "plateau", "cosine")  # fmt: skip
Preprocess = choices("Preprocess", "How training images are resized/cropped (:mod:`i2i.data.transforms`).",
                     "resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none")  # fmt: skip
Downsample = choices(
    "Downsample", "ResNet generator down-sampling (:mod:`i2i.nn.resample`).", "stride", "blur"
)
Upsample = choices("Upsample", "Generator up-sampling (:mod:`i2i.nn.resample`); ``blur`` is the ResNet "
                   "generator's only.", "transpose", "resize-conv", "blur")  # fmt: skip
Init = choices("Init", "Weight initialisations (:func:`i2i.nn.layers.init_weights`).", "normal", "xavier",
               "kaiming", "orthogonal")  # fmt: skip


# ------------------------------------------------------------------------------------------------ configs
@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Options every recipe has and means the same by."""

    #: Options ``--resume RUN_DIR`` accepts; the rest come from the run's config.json. Those given are
    #: written back into config.json, so a later ``--resume`` without them keeps them.
    resume_overrides: ClassVar[tuple[str, ...]] = (
        "max_steps",
        "max_minutes",
        "workers",
        "device",
        "diverge_factor",
        "lr",
        "grad_check",
    )

    data: str = option(help="Training images.", hint="a folder")
    out: str | None = option(None, "Run folder [runs/<task>-<data>-<timestamp>].", flags=("-o", "--output"))
    # optimisation
    lr: float = option(2e-4, "Adam learning rate.")
    batch_size: int = option(1, "Images per step (per process).")
    # bounds
    max_steps: int | None = option(None, "Stop (resumably) after this many optimizer steps in all.")
    max_minutes: float | None = option(None, "Stop (resumably) after this many minutes.")
    # runtime
    seed: int = option(0, "Random seed (weights, dropout, data order, jitter).")
    device: Device = option(Device.auto, "Where to train: auto picks CUDA when torch sees one.")
    amp: Amp = option(
        Amp.auto,
        "Mixed precision: auto (bf16 autocast where the CPU/GPU has bf16 units, else none), bf16 autocast, "
        "or fp16 autocast with loss scaling; none for bit-exact float32. Checked at run start.",
    )
    channels_last: bool = option(
        False, "NHWC memory format for networks and inputs (only when asked: at batch 1 torch 2.14.1's "
        "CPU norm backward is wrong under it, and the gradient check stops such a run)."
    )  # fmt: skip
    grad_check: bool = option(
        True, "At run start, compare the first batch's gradients under the run's precision with float32 "
        "NCHW (two extra passes on one batch); --amp auto falls back to one that passes, a named one stops."
    )  # fmt: skip
    workers: int | None = option(
        None,
        "Data-loader worker processes (0: load in the training process) [default: the usable CPU cores less "
        "one, at most 4].",
    )
    # outputs
    log_every: int = option(50, "Steps between train_log.jsonl records (losses are read back only then).")
    sample_every: int = option(500, "Steps between sample grids.")
    n_samples: int = option(4, "Rows in the sample grids.")
    state_every: int = option(1000, "Steps between saves of the resumable state last.pt.")
    snapshot_every: int | None = option(
        None, "Steps between numbered release checkpoints checkpoints/step_<N>_<name>.pt [off]."
    )
    keep_snapshots: int = option(3, "Numbered snapshots kept (plus the best one by the probe metric).")
    # training aids
    ema: float | None = option(
        None, "Keep an exponential moving average of the generator weights with this decay (e.g. 0.999) "
        "and use it for samples, validation, probes and release checkpoints [off]."
    )  # fmt: skip
    diverge_factor: float = option(
        10.0, "Stop when a logged loss exceeds this many times its running median (NaN/inf always stops)."
    )
    init_from: str | None = option(
        None, "Start a new run from another run's weights (its folder or last.pt; the EMA weights where it "
        "kept them) with fresh optimizers and schedule: fine-tuning, e.g. at a larger crop size. Same task "
        "and network shapes."
    )  # fmt: skip

    def __post_init__(self) -> None:
        coerce_enums(self)
        require(self, ("batch_size", "log_every", "sample_every", "state_every", "n_samples"), 1)
        require(self, ("max_steps", "snapshot_every", "keep_snapshots"), 1)
        require(self, ("workers",), 0)
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise I2IError(f"max-minutes must be > 0, got {self.max_minutes}")
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise I2IError(f"ema must be a decay in (0, 1), e.g. 0.999, got {self.ema}")
        if not self.diverge_factor > 1.0:
            raise I2IError(f"diverge-factor must be > 1, got {self.diverge_factor}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (enums as their strings)."""
        return {k: v.value if isinstance(v, Enum) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from :meth:`to_dict` output; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class GanConfig(RunConfig):
    """What the GAN recipes add. Defaults are pix2pix's; recipes redeclare what differs."""

    #: Channels the discriminator sees: 6 for pix2pix's conditional D (input and candidate), 3 otherwise.
    discriminator_channels: ClassVar[int] = 6
    #: A resumed run may also re-plan its schedule (e.g. to end within the time it has).
    resume_overrides: ClassVar[tuple[str, ...]] = (*RunConfig.resume_overrides, "epochs", "epochs_decay")

    data: str = option(
        help="Dataset: a catalog name (fetched if absent, see `i2i data list`) or a folder.",
        hint="a catalog name such as `facades`, or a folder",
    )
    data_root: str | None = option(
        None, "Where named datasets live and are fetched to [$I2I_DATA, else a per-user cache folder]."
    )
    direction: Direction = option(Direction.AtoB, "Which side is the input (facades labels->photo: BtoA).")
    # networks
    netG: str = option("unet_256", "Generator: unet_256 | unet_128 | unet | resnet_9blocks | resnet_6blocks.")
    netD: str = option("basic", "Discriminator: basic (70x70 PatchGAN) | n_layers | pixel.")
    n_layers_D: int = option(3, "Depth of --net-d n_layers.")
    ngf: int = option(64, "Generator width (64 in the papers).")
    ndf: int = option(64, "Discriminator width (64 in the papers).")
    norm: Norm = option(Norm.batch, "Normalisation layers.")
    dropout: bool = option(True, "Dropout in the generator (U-Net decoder / ResNet blocks).")
    upsample: Upsample = option(
        Upsample.transpose, "Generator up-sampling: transpose (reference), resize-conv (nearest x2 then a "
        "3x3 conv: no checkerboards), blur (CUT's anti-aliased; ResNet only)."
    )  # fmt: skip
    init: Init = option(Init.normal, "Weight initialisation.")
    init_gain: float = option(0.02, "Scale of the initial weights.")
    # objective and optimisation
    gan_mode: GanMode = option(GanMode.vanilla, "Adversarial loss.")
    lambda_gp: float = option(10.0, "Gradient-penalty weight (wgangp).")
    beta1: float = option(0.5, "Adam beta1.")
    beta2: float = option(0.999, "Adam beta2.")
    epochs: int = option(100, "Epochs at the initial learning rate.")
    epochs_decay: int = option(100, "Epochs of learning-rate decay.")
    lr_policy: LrPolicy = option(LrPolicy.linear, "Learning-rate schedule (stepped once per epoch).")
    lr_step_epochs: int = option(50, "Epochs between x0.1 steps (step policy).")
    # data
    image_size: int | None = option(
        None, "Shortcut: --crop-size N and --load-size N*286/256 (e.g. 128 -> 143)."
    )
    load_size: int | None = option(None, "Resize side before the random crop [286, or from --image-size].")
    crop_size: int | None = option(None, "Training crop side [256, or --image-size].")
    preprocess: Preprocess = option(Preprocess.resize_and_crop, "How training images are resized/cropped.")
    flip: bool = option(True, "Random horizontal flips.")
    holdout: float = option(
        0.0, "Hold back this share of each training folder (by file-name hash, i2i.data.holdout) for "
        "evaluation; training never sees those files (score them with `i2i eval model --holdout`)."
    )  # fmt: skip
    # quality probes (off by default): every eval_every steps, score eval_images fixed held-out images
    eval_every: int | None = option(
        None, "Steps between quality probes on fixed held-out images, logged as `eval` records and "
        "drawn in eval_curves.png; also scores the snapshots [off]."
    )  # fmt: skip
    eval_images: int = option(32, "Images in the quality probe.")

    def __post_init__(self) -> None:
        if self.image_size is not None:
            if self.image_size < 1:
                raise I2IError(f"image-size must be >= 1, got {self.image_size}")
            if self.crop_size is None:
                object.__setattr__(self, "crop_size", self.image_size)
            if self.load_size is None:
                object.__setattr__(self, "load_size", round(self.image_size * 286 / 256))
        object.__setattr__(self, "load_size", 286 if self.load_size is None else self.load_size)
        object.__setattr__(self, "crop_size", 256 if self.crop_size is None else self.crop_size)
        super().__post_init__()
        require(self, ("load_size", "crop_size", "eval_every"), 1)
        require(self, ("eval_images",), 2)
        if not 0.0 <= self.holdout < 1.0:
            raise I2IError(f"holdout must be a fraction in [0, 1), got {self.holdout}")
        require(self, ("epochs", "epochs_decay"), 0)
        if self.epochs + self.epochs_decay < 1:
            raise I2IError("epochs and epochs-decay must not both be 0")
