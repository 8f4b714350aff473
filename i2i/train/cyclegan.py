"""CycleGAN: unpaired image-to-image translation with cycle-consistent adversarial networks (Zhu et al.
2017, arXiv 1703.10593). REFERENCE §4.

Two generators G: A -> B and F: B -> A, two discriminators D_Y (judges domain B) and D_X (judges A)::

    L(G, F, D_X, D_Y) = L_GAN(G, D_Y) + L_GAN(F, D_X)
                        + lambda_cyc * ( |F(G(a)) - a|_1 + |G(F(b)) - b|_1 )
                        + lambda_id * lambda_cyc * ( |G(b) - b|_1 + |F(a) - a|_1 )

with the least-squares GAN loss by default, lambda_cyc = 10 (``lambda_A`` for the A cycle, ``lambda_B``
for the B cycle) and lambda_id = 0.5. The identity term feeds each generator an image already in its
OUTPUT domain; without it colours drift. Each step updates both generators together (one Adam), then
both discriminators (one Adam) on fakes drawn from a 50-image history pool, each D loss halved.

Naming key (code vs paper): ``G_A`` = G (A -> B), ``G_B`` = F (B -> A), ``D_A`` = D_X (real a vs
F(b)), ``D_B`` = D_Y (real b vs G(a)). Logged terms: ``G_A`` / ``G_B`` (adversarial terms of G and F),
``cycle_A`` = |F(G(a)) - a|, ``cycle_B`` = |G(F(b)) - b|, ``idt_A`` = |G(b) - b|, ``idt_B`` = |F(a) - a|
(all unweighted means in [-1, 1] units), ``G`` (the weighted total), ``D_A``, ``D_B`` (halved losses).

Entry point: :func:`train` with a :class:`CycleGANConfig` (runs on :mod:`i2i.train.harness`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from i2i import checkpoint
from i2i.losses import discriminator_loss, generator_gan_loss, gradient_penalty, l1_loss
from i2i.train import harness
from i2i.train.config import GanConfig, GanMode, Norm, option, require
from i2i.train.gan import GanRecipe, domain_names
from i2i.train.harness import TrainResult
from i2i.train.image_pool import ImagePool
from i2i.train.loop import fixed_batch, optimizer_step, set_requires_grad
from i2i.train.runtime import Precision, unwrap

__all__ = [
    "LOSS_KEYS",
    "CycleGAN",
    "CycleGANConfig",
    "Nets",
    "TrainResult",
    "domain_names",
    "load_config",
    "replace",
    "train",
]

TASK = "cyclegan"
LOSS_KEYS = ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "G", "D_A", "D_B")


@dataclass(frozen=True, kw_only=True)
class CycleGANConfig(GanConfig):
    """A CycleGAN run. Defaults reproduce the paper (REFERENCE §4); shared options: :class:`GanConfig`.
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


@dataclass
class Nets:
    """The four networks (possibly DDP-wrapped) of a run."""

    G_A: nn.Module
    G_B: nn.Module
    D_A: nn.Module
    D_B: nn.Module


# ----------------------------------------------------------------------------------------------- step
def generator_losses(
    nets: Nets,
    D_A: nn.Module,
    D_B: nn.Module,
    real_A: torch.Tensor,
    real_B: torch.Tensor,
    cfg: CycleGANConfig,
) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """G's total loss, its unweighted terms, and the fakes (for D). ``D_A``/``D_B`` are unwrapped (frozen)."""
    fake_B = nets.G_A(real_A)
    rec_A = nets.G_B(fake_B)
    fake_A = nets.G_B(real_B)
    rec_B = nets.G_A(fake_A)
    terms = {
        "G_A": generator_gan_loss(D_B(fake_B), cfg.gan_mode),
        "G_B": generator_gan_loss(D_A(fake_A), cfg.gan_mode),
        "cycle_A": l1_loss(rec_A, real_A),
        "cycle_B": l1_loss(rec_B, real_B),
    }
    total = terms["G_A"] + terms["G_B"] + cfg.lambda_A * terms["cycle_A"] + cfg.lambda_B * terms["cycle_B"]
    if cfg.lambda_identity > 0:
        terms["idt_A"] = l1_loss(nets.G_A(real_B), real_B)
        terms["idt_B"] = l1_loss(nets.G_B(real_A), real_A)
        total = total + cfg.lambda_identity * (cfg.lambda_B * terms["idt_A"] + cfg.lambda_A * terms["idt_B"])
    return total, terms, {"fake_A": fake_A, "fake_B": fake_B}


def _discriminator_loss(
    D: nn.Module, real: torch.Tensor, fake: torch.Tensor, cfg: CycleGANConfig
) -> torch.Tensor:
    loss, _, _ = discriminator_loss(D(real), D(fake), cfg.gan_mode)
    if cfg.gan_mode == "wgangp":
        loss = loss + gradient_penalty(D, real, fake, weight=cfg.lambda_gp)
    return loss


def train_step(
    nets: Nets,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    scalers: tuple[torch.amp.GradScaler, torch.amp.GradScaler],
    pools: tuple[ImagePool, ImagePool],
    real_A: torch.Tensor,
    real_B: torch.Tensor,
    cfg: CycleGANConfig,
    prec: Precision,
) -> dict[str, torch.Tensor]:
    """One step: both generators (adversarial + cycle + identity), then both discriminators on pooled fakes.

    ``real_A`` / ``real_B``: (N, 3, H, W) in [-1, 1] on the training device, unpaired. Returns the step's
    loss terms as 0-d tensors (no host sync here; the harness reads them when it logs).
    """
    set_requires_grad([nets.D_A, nets.D_B], False)
    opt_G.zero_grad(set_to_none=True)
    with prec.autocast():
        loss_G, terms, fakes = generator_losses(nets, unwrap(nets.D_A), unwrap(nets.D_B), real_A, real_B, cfg)
    optimizer_step(loss_G, opt_G, scalers[0])

    set_requires_grad([nets.D_A, nets.D_B], True)
    opt_D.zero_grad(set_to_none=True)
    with prec.autocast():
        loss_D_A = _discriminator_loss(nets.D_A, real_A, pools[0].query(fakes["fake_A"]), cfg)
        loss_D_B = _discriminator_loss(nets.D_B, real_B, pools[1].query(fakes["fake_B"]), cfg)
    optimizer_step(loss_D_A + loss_D_B, opt_D, scalers[1])
    losses = {**terms, "G": loss_G, "D_A": loss_D_A, "D_B": loss_D_B}
    return {k: v.detach() for k, v in losses.items()}


# ----------------------------------------------------------------------------------------------- recipe
class CycleGAN(GanRecipe[CycleGANConfig]):
    """CycleGAN on the harness: networks G_A, G_B, D_A, D_B; optimizers ``G`` (both generators) and ``D``."""

    task = TASK
    config_class = CycleGANConfig
    ema_modules = ("G_A", "G_B")
    guard_keys = ("G",)
    progress_keys = ("G", "cycle_A", "D_A", "D_B")
    curve_keys = ("D_A", "D_B", "G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "lr")
    metric_key = "eval_KID"

    def build(self) -> None:
        from i2i.data.datasets import UnalignedDataset

        cfg, ctx = self.cfg, self.env.ctx
        data_dir = self.resolve_data()
        self.domains = domain_names(self.data_name, cfg.direction)
        self.modules = {"G_A": self.new_generator(), "G_B": self.new_generator()}
        self.modules |= {"D_A": self.new_discriminator(), "D_B": self.new_discriminator()}
        self.optimizers = {kind: self._adam(f"{kind}_A", f"{kind}_B") for kind in ("G", "D")}
        train_spec, eval_spec = self.transforms()
        direction = cfg.direction.value
        self.train_set = UnalignedDataset(
            data_dir, phase="train", direction=direction, spec=train_spec, train=True,
            serial_batches=cfg.serial_batches, seed=cfg.seed, holdout=cfg.holdout,
        )  # fmt: skip
        # Samples and KID probe: testA/testB when present, else the held-back files (--holdout), else train.
        phase = "test" if (data_dir / "testA").is_dir() and (data_dir / "testB").is_dir() else "train"
        held = {"holdout": cfg.holdout, "held_back": True} if phase == "train" and cfg.holdout else {}
        self.sample_set = UnalignedDataset(
            data_dir, phase=phase, direction=direction, spec=eval_spec, train=False, serial_batches=True,
            seed=0, **held,
        )  # fmt: skip
        self.fixed = fixed_batch(self.sample_set, cfg.n_samples)
        self.pool_rng = torch.Generator().manual_seed(cfg.seed * 1000 + ctx.rank)
        self.pools = (ImagePool(cfg.pool_size, self.pool_rng), ImagePool(cfg.pool_size, self.pool_rng))
        self.kid_probe = None
        if cfg.eval_every and ctx.is_main:
            from i2i.eval.inception_features import FIDInception
            from i2i.eval.probes import KIDProbe

            self.kid_probe = KIDProbe(self.sample_set, cfg.eval_images, FIDInception(device=ctx.device))

    def _adam(self, *names: str) -> torch.optim.Optimizer:
        """One Adam over the networks ``names`` (both generators, or both discriminators)."""
        params = itertools.chain(*(self.modules[n].parameters() for n in names))
        return torch.optim.Adam(params, lr=self.cfg.lr, betas=(self.cfg.beta1, self.cfg.beta2))

    def describe(self) -> str:
        (a, b), data = self.domains, self.train_set
        return f"{len(data.paths_a)} {a} and {len(data.paths_b)} {b} images from {self.data_dir}"

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        nets = Nets(**self.nets)
        real_A, real_B = self.env.batch(batch["A"]), self.env.batch(batch["B"])
        opts, scalers = self.optimizers, (self.scalers["G"], self.scalers["D"])
        return train_step(
            nets, opts["G"], opts["D"], scalers, self.pools, real_A, real_B, self.cfg, self.env.prec
        )

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

    def probe(self) -> dict[str, float] | None:
        """KID of G_A on the fixed sample images (needs --eval-every: it loads the FID Inception)."""
        if self.kid_probe is None:
            return None
        return {**self.kid_probe(self.inference("G_A"), self.env.batch), "eval_images": len(self.kid_probe)}

    def end_epoch(self) -> float | None:
        """The plateau policy watches the generators' total loss (no validation target here)."""
        return float(self.env.last_losses.get("G", 0.0))

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
        out = {}
        for name, direction, (src, dst) in (("G_A", "AtoB", (a, b)), ("G_B", "BtoA", (b, a))):
            module = self.release_module(name)
            header = checkpoint.make_header(
                self.generator_arch(), module, task=TASK, direction=direction, name=f"{src}2{dst}",
                domains=(src, dst), recipe=self.header_recipe(),
            )  # fmt: skip
            out[f"generator_{src}2{dst}"] = (module, header)
        return out


# ----------------------------------------------------------------------------------------------- entry
def train(cfg: CycleGANConfig, **kwargs: Any) -> TrainResult:
    """Train CycleGAN (see :func:`i2i.train.harness.train` for ``run_dir``, ``resume``, ``console``)."""
    return harness.train(CycleGAN, cfg, **kwargs)


def load_config(run_dir: Path, **overrides: Any) -> CycleGANConfig:
    """The config of the run in ``run_dir`` with ``overrides`` (max_steps, device, ...) applied."""
    return harness.load_config(CycleGANConfig, TASK, run_dir, **overrides)
