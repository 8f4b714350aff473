"""What the GAN recipes share on top of the harness: dataset resolution, networks from the config, crop
transforms, the epoch-based lr schedule. Not a recipe itself; pix2pix, CycleGAN (and CUT) subclass
:class:`GanRecipe`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from torch import nn

from i2i.errors import I2IError
from i2i.nn import build_discriminator, build_generator, size_multiple
from i2i.specs import ArchSpec
from i2i.train.config import GanConfig
from i2i.train.harness import Recipe
from i2i.train.runtime import barrier
from i2i.train.schedules import ScheduleSpec

G = TypeVar("G", bound=GanConfig)


def domain_names(data_name: str, direction: str) -> tuple[str, str]:
    """``apple2orange`` -> ("apple", "orange"); other names -> ("A", "B"); BtoA swaps them."""
    head, sep, tail = data_name.partition("2")
    names = (head, tail) if sep and head and tail and "2" not in tail else ("A", "B")
    return names if direction == "AtoB" else (names[1], names[0])


class GanRecipe(Recipe[G]):
    """A recipe trained for ``epochs + epochs_decay`` epochs on the config's lr schedule."""

    def epochs(self) -> int:
        return self.cfg.epochs + self.cfg.epochs_decay

    def schedule(self) -> ScheduleSpec:
        cfg = self.cfg
        return ScheduleSpec(cfg.lr_policy, cfg.epochs, cfg.epochs_decay, step_epochs=cfg.lr_step_epochs)

    def resolve_data(self) -> Path:
        """The dataset folder: rank 0 fetches a missing catalog dataset, the others wait, then look it up."""
        from i2i.data.catalog import CATALOG
        from i2i.data.resolve import resolve_dataset

        cfg, ctx = self.cfg, self.env.ctx
        path = resolve_dataset(cfg.data, cfg.data_root, fetch=True, progress=True) if ctx.is_main else None
        barrier(ctx)
        if path is None:
            path = resolve_dataset(cfg.data, cfg.data_root, fetch=False)
        self.data_dir = path
        self.data_name = cfg.data if cfg.data in CATALOG else path.name
        return path

    def run_info(self) -> dict[str, Any]:
        """config.json entries: the resolved dataset, the domain names (``self.domains``) and, with
        ``--holdout``, the names of the files held back per training folder."""
        domains = list(self.domains)  # type: ignore[attr-defined]
        info = {"data_path": str(self.data_dir.resolve()), "data_name": self.data_name, "domains": domains}
        if self.cfg.holdout:
            info["held_out"] = self.train_set.held_out
        return info

    def generator_arch(self) -> ArchSpec:
        """What the release checkpoints record: registry name + builder kwargs."""
        cfg = self.cfg
        kwargs = {"in_channels": 3, "out_channels": 3, "ngf": cfg.ngf, "norm": cfg.norm.value}
        kwargs["use_dropout"] = cfg.dropout
        if cfg.upsample != "transpose":  # the reference layout needs no entry (older checkpoints have none)
            kwargs["upsample"] = cfg.upsample.value
        return ArchSpec(cfg.netG, kwargs)

    def discriminator_arch(self) -> ArchSpec:
        cfg = self.cfg
        kwargs: dict[str, Any] = {
            "in_channels": cfg.discriminator_channels,
            "ndf": cfg.ndf,
            "norm": cfg.norm.value,
        }
        if cfg.netD == "n_layers":
            kwargs["n_layers"] = cfg.n_layers_D
        return ArchSpec(cfg.netD, kwargs)

    def new_generator(self) -> nn.Module:
        """A freshly initialised generator on the training device; checks the crop fits it."""
        arch = self.generator_arch()
        net = build_generator(
            arch.name, init=self.cfg.init.value, init_gain=self.cfg.init_gain, **arch.kwargs
        )
        multiple = size_multiple(net)
        if self.cfg.crop_size % multiple:  # type: ignore[operator]
            hint = max(multiple, self.cfg.crop_size // multiple * multiple)  # type: ignore[operator]
            raise I2IError(
                f"crop size {self.cfg.crop_size} is not a multiple of {multiple}, which {self.cfg.netG} "
                f"needs (use --net-g unet_128 for 128 px, or --image-size {hint})"
            )
        self.multiple = multiple
        return self.env.place(net)

    def new_discriminator(self) -> nn.Module:
        arch = self.discriminator_arch()
        net = build_discriminator(
            arch.name, init=self.cfg.init.value, init_gain=self.cfg.init_gain, **arch.kwargs
        )
        return self.env.place(net)

    def transforms(self) -> tuple[Any, Any]:
        """(training transform with jitter, evaluation transform padded to the generator's multiple)."""
        from i2i.data.transforms import TransformSpec

        cfg = self.cfg
        train = TransformSpec(cfg.load_size, cfg.crop_size, cfg.flip, cfg.preprocess.value)  # type: ignore[arg-type]
        evaluation = TransformSpec(
            cfg.load_size,  # type: ignore[arg-type]
            cfg.crop_size,  # type: ignore[arg-type]
            False,
            cfg.preprocess.value,  # type: ignore[arg-type]
            pad_multiple=self.multiple,
        )
        return train, evaluation
