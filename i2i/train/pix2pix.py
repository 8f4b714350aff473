"""Pix2Pix: image-to-image translation with conditional adversarial networks (Isola et al. 2017,
arXiv 1611.07004). REFERENCE §3.

Objective, with x the input image, y its target and G(x) the translation (noise only through dropout)::

    G* = arg min_G max_D  L_cGAN(G, D) + lambda * L_L1(G)
    L_cGAN(G, D) = E_{x,y}[log D(x, y)] + E_x[log(1 - D(x, G(x)))]
    L_L1(G)      = E_{x,y}[ |y - G(x)|_1 ],          lambda = 100

D is a conditional PatchGAN: it sees ``concat(x, candidate)`` on channels (6 channels for RGB pairs) and
scores every 70x70 patch. D minimises ``0.5 * (loss(D(x, y), real) + loss(D(x, G(x).detach()), fake))``;
G minimises ``loss(D(x, G(x)), real) + lambda * L1``. Each step updates D, then G, with separate Adam
optimizers (2e-4, betas 0.5/0.999).

Naming key (code vs paper): ``real_A`` = x (the input side after ``direction``), ``real_B`` = y,
``fake_B`` = G(x); ``G`` = G, ``D`` = D. Logged terms: ``G_GAN`` (adversarial term of G), ``G_L1`` (the
unweighted mean absolute error, in [-1, 1] image units), ``G`` (G's total loss, ``G_GAN + lambda *
G_L1``), ``D_real``, ``D_fake``, ``D`` (= 0.5 * (D_real + D_fake)), ``acc_real`` / ``acc_fake`` (fraction of
D's patches classified correctly).

Entry point: :func:`train` with a :class:`Pix2PixConfig` (runs on :mod:`i2i.train.harness`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.eval import metrics
from i2i.losses import (
    discriminator_accuracy,
    discriminator_loss,
    generator_gan_loss,
    gradient_penalty,
    l1_loss,
)
from i2i.specs import ArchSpec
from i2i.train import harness
from i2i.train.config import GanConfig, option, require
from i2i.train.gan import GanRecipe
from i2i.train.harness import TrainResult
from i2i.train.loop import fixed_batch, optimizer_step, set_requires_grad
from i2i.train.monitor import DominanceMonitor, collapse_warning
from i2i.train.runtime import Precision, unwrap

__all__ = ["LOSS_KEYS", "Pix2Pix", "Pix2PixConfig", "TrainResult", "load_config", "replace", "train"]

TASK = "pix2pix"
COLLAPSE_CHECK_AFTER = 500  # steps; freshly initialised generators give near-constant outputs
LOSS_KEYS = ("G_GAN", "G_L1", "G", "D_real", "D_fake", "D", "acc_real", "acc_fake")


@dataclass(frozen=True, kw_only=True)
class Pix2PixConfig(GanConfig):
    """A Pix2Pix run. Defaults reproduce the paper (REFERENCE §3); shared options: :class:`GanConfig`."""

    num_downs: int | None = option(None, "Depth of --net-g unet (input sides: multiples of 2^N).")
    lambda_l1: float = option(100.0, "Weight of the L1 term.")
    val_every: int = option(1, "Epochs between validation passes (L1 / PSNR / SSIM on val/).")
    val_images: int | None = option(None, "Validate on at most this many images [all].")

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self, ("val_every", "val_images"), 1)


# ----------------------------------------------------------------------------------------------- step
def train_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    scalers: tuple[torch.amp.GradScaler, torch.amp.GradScaler],
    real_A: torch.Tensor,
    real_B: torch.Tensor,
    cfg: Pix2PixConfig,
    prec: Precision,
) -> dict[str, torch.Tensor]:
    """One optimisation step: update D on (real, detached fake) pairs, then G on adversarial + L1.

    ``real_A`` / ``real_B``: (N, 3, H, W) in [-1, 1] on the training device. ``G`` and ``D`` may be DDP
    wrappers. Returns the step's terms (module docstring) as 0-d tensors on the device: no host sync.
    """
    with prec.autocast():
        fake_B = G(real_A)

    # D: 0.5 * (loss(D(x, y), real) + loss(D(x, G(x)), fake)), fakes detached.
    set_requires_grad(D, True)
    opt_D.zero_grad(set_to_none=True)
    fake_AB = torch.cat([real_A, fake_B.detach()], dim=1)
    real_AB = torch.cat([real_A, real_B], dim=1)
    with prec.autocast():
        pred_fake = D(fake_AB)
        pred_real = D(real_AB)
    loss_D, loss_D_real, loss_D_fake = discriminator_loss(pred_real, pred_fake, cfg.gan_mode)
    if cfg.gan_mode == "wgangp":
        loss_D = loss_D + gradient_penalty(D, real_AB, fake_AB, weight=cfg.lambda_gp)
    optimizer_step(loss_D, opt_D, scalers[1])

    # G: fool the (fixed) D and stay close to the target. D is called unwrapped: no gradient for it here.
    set_requires_grad(D, False)
    opt_G.zero_grad(set_to_none=True)
    with prec.autocast():
        pred_fake_for_G = unwrap(D)(torch.cat([real_A, fake_B], dim=1))
    loss_G_GAN = generator_gan_loss(pred_fake_for_G, cfg.gan_mode)
    loss_G_L1 = l1_loss(fake_B, real_B)
    loss_G = loss_G_GAN + cfg.lambda_l1 * loss_G_L1
    optimizer_step(loss_G, opt_G, scalers[0])

    acc_real, acc_fake = discriminator_accuracy(pred_real, pred_fake, cfg.gan_mode)
    terms = (loss_G_GAN, loss_G_L1, loss_G, loss_D_real, loss_D_fake, loss_D, acc_real, acc_fake)
    return {k: v.detach() for k, v in zip(LOSS_KEYS, terms, strict=True)}


@torch.no_grad()
def validate(G: nn.Module, dataset: Any, prec: Precision, limit: int | None = None) -> dict[str, float]:
    """Mean L1 / PSNR / SSIM of ``G`` (an inference copy) on ``dataset``, images compared in [0, 1]."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    totals = {"val_L1": 0.0, "val_PSNR": 0.0, "val_SSIM": 0.0}
    for i in range(n):
        item = dataset[i]
        out = (G(prec.prepare_input(item["A"].unsqueeze(0))).float().cpu().clamp(-1, 1) + 1) / 2
        tgt = (item["B"].unsqueeze(0) + 1) / 2
        totals["val_L1"] += float(metrics.l1(out, tgt))
        totals["val_PSNR"] += float(metrics.psnr(out, tgt))
        totals["val_SSIM"] += float(metrics.ssim(out, tgt))
    return {k: v / max(1, n) for k, v in totals.items()} | {"val_images": n}


# ----------------------------------------------------------------------------------------------- recipe
class Pix2Pix(GanRecipe[Pix2PixConfig]):
    """Pix2Pix on the harness: networks ``G`` and ``D``, optimizers ``G`` and ``D``."""

    task = TASK
    config_class = Pix2PixConfig
    ema_modules = ("G",)
    guard_keys = ("G",)
    progress_keys = ("G_GAN", "G_L1", "D")
    curve_keys = ("G_GAN", "G_L1", "D", "D_real", "D_fake", "acc_real", "acc_fake", "lr")
    metric_key = "eval_L1"

    def generator_arch(self) -> ArchSpec:
        arch = super().generator_arch()
        if self.cfg.netG == "unet" and self.cfg.num_downs is not None:
            return ArchSpec(arch.name, {**arch.kwargs, "num_downs": self.cfg.num_downs})
        return arch

    def build(self) -> None:
        cfg = self.cfg
        data_dir = self.resolve_data()
        G, D = self.new_generator(), self.new_discriminator()
        self.train_set, self.val_set = self._datasets(data_dir)
        self._show_data_notes()
        from i2i.data.catalog import CATALOG

        entry = CATALOG.get(self.data_name)
        sides = (entry.side_a, entry.side_b) if entry and entry.side_a and entry.side_b else ("A", "B")
        self.domains = sides if cfg.direction == "AtoB" else (sides[1], sides[0])
        self.modules = {"G": G, "D": D}
        betas = (cfg.beta1, cfg.beta2)
        self.optimizers = {
            n: torch.optim.Adam(m.parameters(), lr=cfg.lr, betas=betas) for n, m in self.modules.items()
        }
        sample_set = self.val_set if self.val_set is not None else self._eval_view()
        self.fixed = fixed_batch(sample_set, cfg.n_samples)
        self.dominance = DominanceMonitor()
        self.last_val: dict[str, float] | None = None
        self.paired_probe = None
        if cfg.eval_every and self.val_set is None:
            raise I2IError(f"{data_dir}: --eval-every needs a val/ or test/ split to hold images back from")
        probing = cfg.eval_every or cfg.snapshot_every  # snapshots are ranked by the probe's eval_L1
        if probing and self.val_set is not None and self.env.ctx.is_main:
            from i2i.eval.probes import PairedProbe

            self.paired_probe = PairedProbe(self.val_set, cfg.eval_images)

    def _datasets(self, data_dir: Path) -> tuple[Any, Any | None]:
        """Layouts: ``train/`` + ``val/`` (or ``test/``) folders of AB images, one folder of AB images (no
        validation), or ``A/`` + ``B/`` folders of matching names, each optionally split into train/val."""
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

    def _show_data_notes(self, shown: int = 10) -> None:
        """Warn about the pairs the data check set aside or found odd (:mod:`i2i.data.pair_checks`)."""
        notes = [note for ds in (self.train_set, self.val_set) if ds is not None for note in ds.notes]
        for note in notes[:shown]:
            self.env.warn(f"data: {note}")
        if len(notes) > shown:
            self.env.warn(f"data: {len(notes) - shown} more such notes")

    def _eval_view(self) -> Any:
        """The training set without jitter (sample grids when there is no validation split)."""
        view = copy.copy(self.train_set)
        view.train, view.spec = False, self.transforms()[1]
        return view

    def describe(self) -> str:
        return f"data {self.data_dir}, {len(self.train_set)} train images"

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        opts, scalers = self.optimizers, (self.scalers["G"], self.scalers["D"])
        real_A, real_B = self.env.batch(batch["A"]), self.env.batch(batch["B"])
        G, D = self.nets["G"], self.nets["D"]
        return train_step(G, D, opts["G"], opts["D"], scalers, real_A, real_B, self.cfg, self.env.prec)

    def monitor(self, values: dict[str, float]) -> None:
        message = self.dominance.update(values["D"], values["acc_real"], values["acc_fake"])
        if message:
            self.env.warn(message)

    def sample_rows(self) -> tuple[list[list[torch.Tensor]], list[str]]:
        with torch.no_grad():
            outputs = self.inference("G")(self.env.batch(self.fixed["A"])).float().cpu()
        if self.env.step >= COLLAPSE_CHECK_AFTER and (warning := collapse_warning(outputs, self.fixed["B"])):
            self.env.warn(warning)
        rows = [[self.fixed["A"][i], outputs[i], self.fixed["B"][i]] for i in range(outputs.shape[0])]
        a, b = self.domains
        return rows, [f"input ({a})", f"output step {self.env.step}", f"target ({b})"]

    def probe(self) -> dict[str, float] | None:
        if self.paired_probe is None:
            return None
        result = self.paired_probe(self.inference("G"), self.env.batch)
        return {**result, "eval_images": len(self.paired_probe)}

    def validation(self) -> dict[str, float] | None:
        """Rank 0: L1 / PSNR / SSIM on the validation split -> a ``val`` record."""
        env = self.env
        if not env.ctx.is_main or self.val_set is None:
            return None
        result = validate(self.inference("G"), self.val_set, env.prec, self.cfg.val_images)
        env.record("val", result)
        env.console.print(
            f"val epoch {env.epoch} step {env.step}: L1 {result['val_L1']:.4f} PSNR {result['val_PSNR']:.2f} "
            f"dB SSIM {result['val_SSIM']:.4f} ({result['val_images']} images)"
        )
        self.last_val = result
        return result

    def end_epoch(self) -> float | None:
        if (self.env.epoch + 1) % self.cfg.val_every == 0:
            self.validation()
        if self.cfg.lr_policy != "plateau" or not self.env.ctx.is_main:
            return 0.0
        if self.last_val is not None:  # lower is better: validation L1, else L1 on the sample batch
            return float(self.last_val["val_L1"])
        with torch.no_grad():
            outputs = self.inference("G")(self.env.batch(self.fixed["A"])).float().cpu()
        return float(metrics.l1((outputs + 1) / 2, (self.fixed["B"] + 1) / 2))

    def finish(self, stopped: str) -> dict[str, float] | None:
        return (self.validation() if stopped != "interrupted" else None) or self.last_val

    def artefacts(self) -> dict[str, tuple[nn.Module, checkpoint.ModelHeader]]:
        G, (a, b) = self.release_module("G"), self.domains
        header = checkpoint.make_header(
            self.generator_arch(), G, task=TASK, direction=self.cfg.direction.value,
            name=f"{self.data_name}_{a}2{b}", domains=self.domains, recipe=self.header_recipe(),
        )  # fmt: skip
        return {"generator": (G, header)}


# ----------------------------------------------------------------------------------------------- entry
def train(cfg: Pix2PixConfig, **kwargs: Any) -> TrainResult:
    """Train Pix2Pix (see :func:`i2i.train.harness.train` for ``run_dir``, ``resume``, ``console``)."""
    return harness.train(Pix2Pix, cfg, **kwargs)


def load_config(run_dir: Path, **overrides: Any) -> Pix2PixConfig:
    """The config of the run in ``run_dir`` with ``overrides`` (max_steps, device, ...) applied."""
    return harness.load_config(Pix2PixConfig, TASK, run_dir, **overrides)
