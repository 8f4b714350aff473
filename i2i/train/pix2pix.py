"""Pix2Pix: image-to-image translation with conditional adversarial networks (Isola, Zhu, Zhou and Efros
2017, CVPR, arXiv 1611.07004).

Objective, with x the input image, y its target and G(x) the translation (noise only through dropout)::

    G* = arg min_G max_D  L_cGAN(G, D) + lambda * L_L1(G)
    L_cGAN(G, D) = E_{x,y}[log D(x, y)] + E_x[log(1 - D(x, G(x)))]
    L_L1(G)      = E_{x,y}[ |y - G(x)|_1 ],          lambda = 100

D is a conditional PatchGAN: it sees ``concat(x, candidate)`` on channels (6 channels for RGB pairs) and
scores every 70x70 patch. D minimises ``0.5 * (loss(D(x, y), real) + loss(D(x, G(x).detach()), fake))``;
G minimises ``loss(D(x, G(x)), real) + lambda * L1``. Each step updates D, then G, with separate Adam
optimizers (2e-4, betas 0.5/0.999). The paper trains with batch norm at batch size 1 and runs the
generator in train mode at test time: per-image statistics, which sampling, validation and export get by
turning each BatchNorm into the equivalent InstanceNorm (:func:`i2i.train.recipe.inference_copy`).

Naming key (code vs paper): ``real_A`` = x (the input side after ``direction``), ``real_B`` = y,
``fake_B`` = G(x); ``G`` = G, ``D`` = D. Logged terms: ``G_GAN`` (adversarial term of G), ``G_L1`` (the
unweighted mean absolute error, in [-1, 1] image units), ``G`` (G's total loss, ``G_GAN + lambda *
G_L1``), ``D_real``, ``D_fake``, ``D`` (= 0.5 * (D_real + D_fake)), ``acc_real`` / ``acc_fake`` (fraction of
D's patches classified correctly).

Entry point: :func:`train` with a :class:`Pix2PixConfig`.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import torch
from torch import nn

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.eval import metrics
from i2i.losses import discriminator_accuracy, generator_gan_loss, l1_loss
from i2i.specs import ArchSpec
from i2i.train.batches import fixed_batch
from i2i.train.distributed import unwrap
from i2i.train.gan import GanRecipe
from i2i.train.harness import TrainResult, entry_points
from i2i.train.monitor import DominanceMonitor, collapse_warning
from i2i.train.recipe_configs import Pix2PixConfig

__all__ = ["LOSS_KEYS", "Pix2Pix", "Pix2PixConfig", "TrainResult", "load_config", "replace", "train"]

COLLAPSE_CHECK_AFTER = 500  # steps; freshly initialised generators give near-constant outputs
LOSS_KEYS = ("G_GAN", "G_L1", "G", "D_real", "D_fake", "D", "acc_real", "acc_fake")


class Pix2Pix(GanRecipe[Pix2PixConfig]):
    """Pix2Pix: networks ``G`` and ``D``, an Adam each."""

    task = "pix2pix"
    config_class = Pix2PixConfig
    progress_keys = ("G_GAN", "G_L1", "D")
    curve_keys = ("G_GAN", "G_L1", "D", "D_real", "D_fake", "acc_real", "acc_fake", "lr")
    metric_key = "eval_L1"

    def generator_arch(self) -> ArchSpec:
        arch = super().generator_arch()
        if self.cfg.netG == "unet" and self.cfg.num_downs is not None:
            return ArchSpec(arch.name, {**arch.kwargs, "num_downs": self.cfg.num_downs})
        return arch

    def build(self) -> None:
        from i2i.data.catalog import CATALOG

        cfg = self.cfg
        data_dir = self.resolve_data()
        self.modules = {"G": self.new_generator(), "D": self.new_discriminator()}
        self.optimizers = {name: self.adam(name) for name in self.modules}
        self.train_set, self.val_set = self.paired_data(data_dir)
        notes = [note for ds in (self.train_set, self.val_set) if ds is not None for note in ds.notes]
        for note in notes[:10]:  # what the pair checks (i2i.data.pair_checks) set aside or found odd
            self.env.warn(f"data: {note}")
        if len(notes) > 10:
            self.env.warn(f"data: {len(notes) - 10} more such notes")
        entry = CATALOG.get(self.data_name)
        sides = (entry.side_a, entry.side_b) if entry and entry.side_a and entry.side_b else ("A", "B")
        self.domains = sides if cfg.direction == "AtoB" else (sides[1], sides[0])
        if self.val_set is not None:
            self.fixed = fixed_batch(self.val_set, cfg.n_samples)
        else:  # the training set without jitter
            view = copy.copy(self.train_set)
            view.train, view.spec = False, self.transforms()[1]
            self.fixed = fixed_batch(view, cfg.n_samples)
        self.dominance = DominanceMonitor()
        self.last_val: dict[str, float] | None = None
        if cfg.eval_every and self.val_set is None:
            raise I2IError(f"{data_dir}: --eval-every needs a val/ or test/ split to hold images back from")
        probing = cfg.eval_every or cfg.snapshot_every  # snapshots are ranked by the probe's eval_L1
        if probing and self.val_set is not None and self.env.ctx.is_main:
            from i2i.eval.probes import PairedProbe

            self.quality_probe = PairedProbe(self.val_set, cfg.eval_images)

    def describe(self) -> str:
        return f"data {self.data_dir}, {len(self.train_set)} train images"

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One step: update D on (real, detached fake) pairs, then G on adversarial + L1.

        ``batch["A"]`` / ``batch["B"]``: (N, 3, H, W) in [-1, 1]. ``G`` and ``D`` may be DDP wrappers.
        Returns the step's terms (module docstring) as 0-d tensors on the device: no host sync.
        """
        cfg, prec, G, D = self.cfg, self.env.prec, self.nets["G"], self.nets["D"]
        real_A, real_B = self.env.batch(batch["A"]), self.env.batch(batch["B"])
        with prec.autocast():
            fake_B = G(real_A)

        # D: 0.5 * (loss(D(x, y), real) + loss(D(x, G(x)), fake)), fakes detached.
        self.requires_grad("D", True)
        self.zero_grad("D")
        fake_AB = torch.cat([real_A, fake_B.detach()], dim=1)
        real_AB = torch.cat([real_A, real_B], dim=1)
        with prec.autocast():
            pred_fake = D(fake_AB)
            pred_real = D(real_AB)
        loss_D, loss_D_real, loss_D_fake = self.d_loss(D, real_AB, fake_AB, pred_real, pred_fake)
        self.update(loss_D, "D")

        # G: fool the (fixed) D and stay close to the target. D is called unwrapped: no gradient for it here.
        self.requires_grad("D", False)
        self.zero_grad("G")
        with prec.autocast():
            pred_fake_for_G = unwrap(D)(torch.cat([real_A, fake_B], dim=1))
        loss_G_GAN = generator_gan_loss(pred_fake_for_G, cfg.gan_mode)
        loss_G_L1 = l1_loss(fake_B, real_B)
        loss_G = loss_G_GAN + cfg.lambda_l1 * loss_G_L1
        self.update(loss_G, "G")

        acc_real, acc_fake = discriminator_accuracy(pred_real, pred_fake, cfg.gan_mode)
        terms = (loss_G_GAN, loss_G_L1, loss_G, loss_D_real, loss_D_fake, loss_D, acc_real, acc_fake)
        return {k: v.detach() for k, v in zip(LOSS_KEYS, terms, strict=True)}

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

    @torch.no_grad()
    def validation(self) -> dict[str, float] | None:
        """Rank 0: mean L1 / PSNR / SSIM of G on the validation split (in [0, 1]) -> a ``val`` record."""
        env = self.env
        if not env.ctx.is_main or self.val_set is None:
            return None
        G, limit = self.inference("G"), self.cfg.val_images
        n = len(self.val_set) if limit is None else min(limit, len(self.val_set))
        scores = {"val_L1": metrics.l1, "val_PSNR": metrics.psnr, "val_SSIM": metrics.ssim}
        totals = dict.fromkeys(scores, 0.0)
        for i in range(n):
            item = self.val_set[i]
            out = (G(env.prec.prepare_input(item["A"].unsqueeze(0))).float().cpu().clamp(-1, 1) + 1) / 2
            for key, score in scores.items():
                totals[key] += float(score(out, (item["B"].unsqueeze(0) + 1) / 2))
        result = {k: v / max(1, n) for k, v in totals.items()} | {"val_images": n}
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
        (a, b), direction = self.domains, self.cfg.direction.value
        return {"generator": self.release("G", direction, f"{self.data_name}_{a}2{b}", self.domains)}


train, load_config = entry_points(Pix2Pix)
