"""CycleGAN: unpaired image-to-image translation with cycle-consistent adversarial networks (Zhu, Park,
Isola and Efros 2017, ICCV, arXiv 1703.10593).

Two generators G: A -> B and F: B -> A, two discriminators D_Y (judges domain B) and D_X (judges A)::

    L(G, F, D_X, D_Y) = L_GAN(G, D_Y) + L_GAN(F, D_X)
                        + lambda_cyc * ( |F(G(a)) - a|_1 + |G(F(b)) - b|_1 )
                        + lambda_id * lambda_cyc * ( |G(b) - b|_1 + |F(a) - a|_1 )

with the least-squares GAN loss by default, lambda_cyc = 10 (``lambda_A`` for the A cycle, ``lambda_B``
for the B cycle) and lambda_id = 0.5. The identity term feeds each generator an image already in its
OUTPUT domain; without it colours drift (backgrounds may invert). Each step updates both generators
together (one Adam), then both discriminators (one Adam) on fakes drawn from a history of 50 past fakes
per discriminator (once full, each new fake is swapped for a stored one with probability 0.5:
:class:`i2i.train.image_pool.ImagePool`), each D loss halved. The paper's generators are resnet_9blocks
at 256 px, resnet_6blocks at 128 px.

Naming key (code vs paper): ``G_A`` = G (A -> B), ``G_B`` = F (B -> A), ``D_A`` = D_X (real a vs
F(b)), ``D_B`` = D_Y (real b vs G(a)). Logged terms: ``G_A`` / ``G_B`` (adversarial terms of G and F),
``cycle_A`` = |F(G(a)) - a|, ``cycle_B`` = |G(F(b)) - b|, ``idt_A`` = |G(b) - b|, ``idt_B`` = |F(a) - a|
(all unweighted means in [-1, 1] units), ``G`` (the weighted total), ``D_A``, ``D_B`` (halved losses).

Entry point: :func:`train` with a :class:`CycleGANConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import torch
from torch import nn

from i2i import checkpoint
from i2i.losses import generator_gan_loss, l1_loss
from i2i.train.distributed import unwrap
from i2i.train.gan import GanRecipe, domain_names
from i2i.train.harness import TrainResult, entry_points
from i2i.train.image_pool import ImagePool
from i2i.train.recipe_configs import CycleGANConfig

__all__ = ["LOSS_KEYS", "CycleGAN", "CycleGANConfig", "TrainResult", "domain_names", "generator_losses",
           "load_config", "replace", "train"]  # fmt: skip

LOSS_KEYS = ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "G", "D_A", "D_B")


def generator_losses(
    nets: Mapping[str, nn.Module], real_A: torch.Tensor, real_B: torch.Tensor, cfg: CycleGANConfig
) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """G and F's total loss, its unweighted terms, and the fakes (for D). ``nets``: ``G_A``, ``G_B`` and
    the frozen (unwrapped) ``D_A``, ``D_B``; ``real_A`` / ``real_B``: (N, 3, H, W) in [-1, 1]."""
    fake_B = nets["G_A"](real_A)
    rec_A = nets["G_B"](fake_B)
    fake_A = nets["G_B"](real_B)
    rec_B = nets["G_A"](fake_A)
    terms = {
        "G_A": generator_gan_loss(nets["D_B"](fake_B), cfg.gan_mode),
        "G_B": generator_gan_loss(nets["D_A"](fake_A), cfg.gan_mode),
        "cycle_A": l1_loss(rec_A, real_A),
        "cycle_B": l1_loss(rec_B, real_B),
    }
    total = terms["G_A"] + terms["G_B"] + cfg.lambda_A * terms["cycle_A"] + cfg.lambda_B * terms["cycle_B"]
    if cfg.lambda_identity > 0:
        terms["idt_A"] = l1_loss(nets["G_A"](real_B), real_B)
        terms["idt_B"] = l1_loss(nets["G_B"](real_A), real_A)
        total = total + cfg.lambda_identity * (cfg.lambda_B * terms["idt_A"] + cfg.lambda_A * terms["idt_B"])
    return total, terms, {"fake_A": fake_A, "fake_B": fake_B}


class CycleGAN(GanRecipe[CycleGANConfig]):
    """CycleGAN: networks G_A, G_B, D_A, D_B; optimizers ``G`` (both generators) and ``D`` (both
    discriminators)."""

    task = "cyclegan"
    config_class = CycleGANConfig
    ema_modules = ("G_A", "G_B")
    progress_keys = ("G", "cycle_A", "D_A", "D_B")
    curve_keys = ("D_A", "D_B", "G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "lr")
    metric_key = "eval_KID"

    def build(self) -> None:
        cfg = self.cfg
        data_dir = self.resolve_data()
        self.domains = domain_names(self.data_name, cfg.direction)
        self.modules = {"G_A": self.new_generator(), "G_B": self.new_generator()}
        self.modules |= {"D_A": self.new_discriminator(), "D_B": self.new_discriminator()}
        self.optimizers = {kind: self.adam(f"{kind}_A", f"{kind}_B") for kind in ("G", "D")}
        self.unpaired_data(data_dir, serial_batches=cfg.serial_batches)
        self.pool_rng = torch.Generator().manual_seed(cfg.seed * 1000 + self.env.ctx.rank)
        self.pools = (ImagePool(cfg.pool_size, self.pool_rng), ImagePool(cfg.pool_size, self.pool_rng))

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One step: both generators (adversarial + cycle + identity), then both discriminators on pooled
        fakes. ``batch["A"]`` / ``batch["B"]``: (N, 3, H, W) in [-1, 1], unpaired. Returns the step's loss
        terms as 0-d tensors (no host sync here; the loop reads them when it logs)."""
        nets, prec = self.nets, self.env.prec
        real_A, real_B = self.env.batch(batch["A"]), self.env.batch(batch["B"])
        self.requires_grad(["D_A", "D_B"], False)
        self.zero_grad("G")
        with prec.autocast():
            frozen = {"D_A": unwrap(nets["D_A"]), "D_B": unwrap(nets["D_B"])}
            loss_G, terms, fakes = generator_losses({**nets, **frozen}, real_A, real_B, self.cfg)
        self.update(loss_G, "G")

        self.requires_grad(["D_A", "D_B"], True)
        self.zero_grad("D")
        with prec.autocast():
            losses_D = []
            for D, real, fake, pool in ((nets["D_A"], real_A, fakes["fake_A"], self.pools[0]),
                                        (nets["D_B"], real_B, fakes["fake_B"], self.pools[1])):  # fmt: skip
                fake = pool.query(fake)
                losses_D.append(self.d_loss(D, real, fake, D(real), D(fake))[0])
        self.update(losses_D[0] + losses_D[1], "D")
        losses = {**terms, "G": loss_G, "D_A": losses_D[0], "D_B": losses_D[1]}
        return {k: v.detach() for k, v in losses.items()}

    def sample_rows(self) -> tuple[list[list[torch.Tensor]], list[str]]:
        """Rows: real a, G(a), F(G(a)), F(a) (identity); then each b with G and F swapped."""
        G_A, G_B = self.inference("G_A"), self.inference("G_B")

        @torch.no_grad()
        def run(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
            return net(self.env.batch(x)).float().cpu()

        rows = []
        for real, fwd, back in ((self.fixed["A"], G_A, G_B), (self.fixed["B"], G_B, G_A)):
            translated = run(fwd, real)
            reconstructed, identity = run(back, translated), run(back, real)
            rows += [[real[i], translated[i], reconstructed[i], identity[i]] for i in range(real.shape[0])]
        return rows, ["real", f"translated (step {self.env.step})", "reconstructed", "identity"]

    def rank_state(self) -> dict[str, Any]:
        pools = {"pool_A": self.pools[0].state_dict(), "pool_B": self.pools[1].state_dict()}
        return {"pool_rng": self.pool_rng.get_state(), **pools}

    def load_rank_state(self, state: dict[str, Any]) -> None:
        if "pool_rng" in state:
            self.pool_rng.set_state(state["pool_rng"])
            self.pools[0].load_state_dict(state["pool_A"], self.env.ctx.device)
            self.pools[1].load_state_dict(state["pool_B"], self.env.ctx.device)

    def artefacts(self) -> dict[str, tuple[nn.Module, checkpoint.ModelHeader]]:
        a, b = self.domains
        return {
            f"generator_{a}2{b}": self.release("G_A", "AtoB", f"{a}2{b}", (a, b)),
            f"generator_{b}2{a}": self.release("G_B", "BtoA", f"{b}2{a}", (b, a)),
        }


train, load_config = entry_points(CycleGAN)
