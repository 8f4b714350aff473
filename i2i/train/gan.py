"""What the GAN recipes share, so that each states only its networks, losses and step: dataset resolution
and the two data layouts (aligned pairs, unpaired domains), networks from the config, Adam, the update
bookkeeping, the adversarial loss of D, the quality probe, the epoch-based lr schedule and the release
headers. Not a recipe itself; pix2pix, CycleGAN and CUT subclass :class:`GanRecipe`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.losses import discriminator_loss, gradient_penalty
from i2i.nn import build_discriminator, build_generator, size_multiple
from i2i.specs import ArchSpec
from i2i.train.batches import fixed_batch
from i2i.train.config import GanConfig
from i2i.train.distributed import barrier
from i2i.train.recipe import Recipe, optimizer_step, set_requires_grad
from i2i.train.schedules import ScheduleSpec

G = TypeVar("G", bound=GanConfig)


def domain_names(data_name: str, direction: str) -> tuple[str, str]:
    """``apple2orange`` -> ("apple", "orange"); other names -> ("A", "B"); BtoA swaps them."""
    head, sep, tail = data_name.partition("2")
    names = (head, tail) if sep and head and tail and "2" not in tail else ("A", "B")
    return names if direction == "AtoB" else (names[1], names[0])


class GanRecipe(Recipe[G]):
    """A recipe trained for ``epochs + epochs_decay`` epochs on the config's lr schedule.

    Subclasses set ``self.domains`` (the two domain names, input side first) in ``build`` and, to probe,
    ``self.quality_probe`` (a probe called as ``probe(generator, to_device)``: :mod:`i2i.eval.probes`).
    """

    #: The generator ``G`` is averaged, probed and released, and its total loss ``G`` guarded.
    ema_modules = ("G",)
    guard_keys = ("G",)
    quality_probe: Any = None

    def epochs(self) -> int:
        return self.cfg.epochs + self.cfg.epochs_decay

    def schedule(self) -> ScheduleSpec:
        cfg = self.cfg
        return ScheduleSpec(cfg.lr_policy, cfg.epochs, cfg.epochs_decay, step_epochs=cfg.lr_step_epochs)

    # ------------------------------------------------------------------------------------------ data
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

    def paired_data(self, data_dir: Path) -> tuple[Any, Any | None]:
        """(training set, validation set or None) of aligned pairs. Layouts: ``train/`` + ``val/`` (or
        ``test/``) folders of AB images, one folder of AB images (no validation), or ``A/`` + ``B/``
        folders of matching names, each optionally split into train/val."""
        from i2i.data.datasets import AlignedDataset, PairedFolderDataset

        train_spec, eval_spec = self.transforms()
        common = {"direction": self.cfg.direction.value, "seed": self.cfg.seed}
        held = self.cfg.holdout  # only the training files are held back

        def phase(root: Path, names: tuple[str, ...]) -> str | None:
            return next((p for p in names if (root / p).is_dir()), None)

        if (data_dir / "A").is_dir() and (data_dir / "B").is_dir():
            a, b = data_dir / "A", data_dir / "B"
            tr, va = phase(a, ("train",)), phase(a, ("val", "test"))
            train = PairedFolderDataset(
                a / (tr or ""), b / (tr or ""), spec=train_spec, train=True, holdout=held, **common
            )
            if tr and va and (b / va).is_dir():
                return train, PairedFolderDataset(a / va, b / va, spec=eval_spec, train=False, **common)
            return train, None
        tr, va = phase(data_dir, ("train",)), phase(data_dir, ("val", "test"))
        train = AlignedDataset(data_dir, phase=tr, spec=train_spec, train=True, holdout=held, **common)
        val = AlignedDataset(data_dir, phase=va, spec=eval_spec, train=False, **common) if tr and va else None
        return train, val

    def unpaired_data(self, data_dir: Path, **train_options: Any) -> None:
        """``train_set`` from ``trainA/`` + ``trainB/`` (``train_options``: more UnalignedDataset options),
        and ``sample_set``, its fixed batch ``fixed`` and (``--eval-every``, rank 0) the KID probe from
        ``testA/`` + ``testB/`` when present, else the held-back files (``--holdout``), else train."""
        from i2i.data.datasets import UnalignedDataset

        cfg, ctx = self.cfg, self.env.ctx
        train_spec, eval_spec = self.transforms()
        direction = cfg.direction.value
        self.train_set = UnalignedDataset(
            data_dir, phase="train", direction=direction, spec=train_spec, train=True, seed=cfg.seed,
            holdout=cfg.holdout, **train_options,
        )  # fmt: skip
        phase = "test" if (data_dir / "testA").is_dir() and (data_dir / "testB").is_dir() else "train"
        held = {"holdout": cfg.holdout, "held_back": True} if phase == "train" and cfg.holdout else {}
        self.sample_set = UnalignedDataset(
            data_dir, phase=phase, direction=direction, spec=eval_spec, train=False, serial_batches=True,
            seed=0, **held,
        )  # fmt: skip
        self.fixed = fixed_batch(self.sample_set, cfg.n_samples)
        if cfg.eval_every and ctx.is_main:  # KID needs the FID Inception: loaded only when probing
            from i2i.eval.inception_features import FIDInception
            from i2i.eval.probes import KIDProbe

            self.quality_probe = KIDProbe(self.sample_set, cfg.eval_images, FIDInception(device=ctx.device))

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

    def describe(self) -> str:
        (a, b), data = self.domains, self.train_set  # type: ignore[attr-defined]
        return f"{len(data.paths_a)} {a} and {len(data.paths_b)} {b} images from {self.data_dir}"

    def run_info(self) -> dict[str, Any]:
        """config.json entries: the resolved dataset, the domain names (``self.domains``) and, with
        ``--holdout``, the names of the files held back per training folder."""
        domains = list(self.domains)  # type: ignore[attr-defined]
        info = {"data_path": str(self.data_dir.resolve()), "data_name": self.data_name, "domains": domains}
        if self.cfg.holdout:
            info["held_out"] = self.train_set.held_out
        return info

    # ------------------------------------------------------------------------------------------ networks
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

    def adam(self, *names: str) -> torch.optim.Optimizer:
        """One Adam (``--lr``, ``--beta1``, ``--beta2``) over the parameters of the modules ``names``."""
        params = itertools.chain(*(self.modules[n].parameters() for n in names))
        return torch.optim.Adam(params, lr=self.cfg.lr, betas=(self.cfg.beta1, self.cfg.beta2))

    # ------------------------------------------------------------------------------------------ the step
    def zero_grad(self, *optimizers: str) -> None:
        for name in optimizers:
            self.optimizers[name].zero_grad(set_to_none=True)

    def requires_grad(self, nets: str | list[str], flag: bool) -> None:
        """Switch the gradients of the ``nets`` on or off (D is frozen while G learns to fool it)."""
        set_requires_grad([self.nets[n] for n in ([nets] if isinstance(nets, str) else nets)], flag)

    def update(self, loss: torch.Tensor, *optimizers: str) -> None:
        """Backward ``loss`` once through the loss scaler of ``optimizers[0]``, then step each optimizer
        (one loss, one scale: CUT's G and PatchNCE head learn from the same loss)."""
        if len(optimizers) == 1:
            optimizer_step(loss, self.optimizers[optimizers[0]], self.scalers[optimizers[0]])
            return
        scaler = self.scalers[optimizers[0]]
        scaler.scale(loss).backward()
        for name in optimizers:
            scaler.step(self.optimizers[name])
        scaler.update()

    def d_loss(
        self, D: nn.Module, real: torch.Tensor, fake: torch.Tensor, pred_real: torch.Tensor,
        pred_fake: torch.Tensor, penalty: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
        """(D's loss, its real term, its fake term) from D's predictions on ``real`` and ``fake`` (the
        fake detached); under ``--gan-mode wgangp`` (and ``penalty``) plus the gradient penalty
        ``lambda_gp * (|grad D(x_hat)|_2 - 1)^2`` on random interpolates x_hat (Gulrajani et al. 2017)."""
        loss, loss_real, loss_fake = discriminator_loss(pred_real, pred_fake, self.cfg.gan_mode)
        if penalty and self.cfg.gan_mode == "wgangp":
            loss = loss + gradient_penalty(D, real, fake, weight=self.cfg.lambda_gp)
        return loss, loss_real, loss_fake

    # ------------------------------------------------------------------------------------------ the rest
    def probe(self) -> dict[str, float] | None:
        """The quality probe of the first generator (its EMA under ``--ema``), if this run has one."""
        if self.quality_probe is None:
            return None
        result = self.quality_probe(self.inference(self.ema_modules[0]), self.env.batch)
        return {**result, "eval_images": len(self.quality_probe)}

    def end_epoch(self) -> float | None:
        """The plateau policy watches the generators' total loss (no validation target here)."""
        return float(self.env.last_losses.get("G", 0.0))

    def release(
        self, name: str, direction: str, model_name: str, domains: tuple[str, str]
    ) -> tuple[nn.Module, checkpoint.ModelHeader]:
        """Network ``name`` as released (its EMA under ``--ema``) and its checkpoint header: it translates
        ``domains[0]`` -> ``domains[1]``, which is the dataset's ``direction``."""
        module = self.release_module(name)
        header = checkpoint.make_header(
            self.generator_arch(), module, task=self.task, direction=direction, name=model_name,
            domains=domains, recipe=self.header_recipe(),
        )  # fmt: skip
        return module, header
