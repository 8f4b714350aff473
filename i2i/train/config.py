"""The options every training recipe shares, as a frozen dataclass that recipe configs extend.

Recipes redeclare the fields whose paper defaults differ (generator, norm, dropout, GAN loss, sample
count) and add their own. Sizes are in pixels; ``epochs`` / ``epochs_decay`` / ``save_every`` count
epochs; ``log_every`` / ``sample_every`` / ``state_every`` / ``eval_every`` count optimizer steps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Self

from i2i.config import ArchSpec
from i2i.errors import I2IError
from i2i.losses import GAN_MODES
from i2i.train.schedules import ScheduleSpec


def require(config: object, names: tuple[str, ...], minimum: float) -> None:
    """I2IError naming the first of ``names`` whose value is below ``minimum``."""
    for name in names:
        if getattr(config, name) < minimum:
            raise I2IError(f"{name.replace('_', '-')} must be >= {minimum:g}, got {getattr(config, name)}")


@dataclass(frozen=True)
class TrainConfig:
    """Data, networks, optimisation, bounds, runtime and output options of a GAN training run."""

    #: Channels the discriminator sees: 6 for pix2pix's conditional D (input and candidate), 3 otherwise.
    discriminator_channels: ClassVar[int] = 6

    data: str
    data_root: str | None = None
    out: str | None = None
    direction: str = "AtoB"
    # networks
    netG: str = "unet_256"
    netD: str = "basic"
    n_layers_D: int = 3
    ngf: int = 64
    ndf: int = 64
    norm: str = "batch"
    dropout: bool = True
    init: str = "normal"
    init_gain: float = 0.02
    # objective and optimisation
    gan_mode: str = "vanilla"
    lambda_gp: float = 10.0
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    batch_size: int = 1
    epochs: int = 100
    epochs_decay: int = 100
    lr_policy: str = "linear"
    lr_step_epochs: int = 50
    # data
    load_size: int = 286
    crop_size: int = 256
    preprocess: str = "resize_and_crop"
    flip: bool = True
    workers: int = 4
    # bounds, runtime
    max_steps: int | None = None
    max_minutes: float | None = None
    seed: int = 0
    device: str = "auto"
    amp: str = "auto"  # resolved per device by i2i.amp.resolve_amp; "none" for bit-exact float32
    channels_last: bool = False
    # outputs
    log_every: int = 50
    sample_every: int = 500
    n_samples: int = 4
    save_every: int = 5
    state_every: int = 1000
    # quality probes (off by default): every eval_every steps, score eval_images fixed held-out images
    eval_every: int | None = None
    eval_images: int = 32

    def __post_init__(self) -> None:
        if self.direction not in ("AtoB", "BtoA"):
            raise I2IError(f"direction must be AtoB or BtoA, got {self.direction!r}")
        if self.gan_mode not in GAN_MODES:
            raise I2IError(f"unknown gan mode {self.gan_mode!r}; valid: {', '.join(GAN_MODES)}")
        positive = ("batch_size", "load_size", "crop_size", "log_every", "sample_every")
        require(self, (*positive, "save_every", "state_every"), 1)
        if self.max_steps is not None and self.max_steps < 1:
            raise I2IError(f"max-steps must be >= 1, got {self.max_steps}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise I2IError(f"max-minutes must be > 0, got {self.max_minutes}")
        require(self, ("workers",), 0)
        if self.eval_every is not None and self.eval_every < 1:
            raise I2IError(f"eval-every must be >= 1, got {self.eval_every}")
        require(self, ("eval_images",), 2)
        ScheduleSpec(self.lr_policy, self.epochs, self.epochs_decay)  # validates

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def schedule(self) -> ScheduleSpec:
        return ScheduleSpec(self.lr_policy, self.epochs, self.epochs_decay, step_epochs=self.lr_step_epochs)

    def discriminator_arch(self) -> ArchSpec:
        """The discriminator's registry name and builder kwargs."""
        kwargs: dict[str, Any] = {
            "in_channels": self.discriminator_channels,
            "ndf": self.ndf,
            "norm": self.norm,
        }
        if self.netD == "n_layers":
            kwargs["n_layers"] = self.n_layers_D
        return ArchSpec(self.netD, kwargs)
