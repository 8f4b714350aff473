"""CUT and FastCUT: contrastive unpaired translation (Park, Efros, Zhang and Zhu 2020, "Contrastive Learning
for Unpaired Image-to-Image Translation", ECCV, arXiv 2007.15651).

One generator G: X -> Y and one discriminator D judging Y; no inverse mapping, no cycle. The content of
the input is kept by PatchNCE (:mod:`i2i.losses.patchnce`): a patch of G(x) should match the patch of x at
the same place, in G's own encoder features, better than any other patch of x. Features of the encoder
layers l in L = {0, 4, 8, 12, 16} are sampled at 256 shared locations and embedded by a 2-layer MLP H_l
(:class:`i2i.nn.patchnce.PatchSampleMLP`)::

    L_CUT     = L_GAN(G, D) + lambda_NCE * ( L_NCE(G, H, X) + L_NCE(G, H, Y) ) / 2    lambda_NCE = 1
    L_FastCUT = L_GAN(G, D) + lambda_NCE * L_NCE(G, H, X)                              lambda_NCE = 10
    L_NCE(G, H, X) = E_x mean_{l in L} mean_s  -log( exp(q_s . k_s / tau) / sum_j exp(q_s . k_j / tau) )
    q = H_l(G_enc^l(G(x))),  k = H_l(G_enc^l(x)),  tau = 0.07

L_NCE(G, H, Y) is the identity term: G(y) for y already in Y should keep y's patches. L_GAN is LSGAN: D
minimises 0.5 * ((D(y) - 1)^2 + D(G(x))^2), G minimises (D(G(x)) - 1)^2. FastCUT drops the identity term
and adds flip-equivariance: the input is flipped left-right with probability 0.5 and the output's features
are flipped back before sampling, so the loss asks G(flip(x)) = flip(G(x)) patch by patch. Three Adams
(G, D, H), lr 2e-4, betas (0.5, 0.999); CUT 200 + 200 epochs, FastCUT 150 + 50, linear decay. As in the
authors' code, the decay epochs load the training images at the crop size (no resize-and-crop jitter,
flips stay; ``--jitter-in-decay`` keeps it), and with ``--downsample stride`` layer 8 is read after its
in-place ReLU (:meth:`i2i.nn.resnet.ResnetGenerator.encode`).

Naming key (code vs paper): ``G`` = G, ``D`` = D, ``F`` = H (the authors' ``netF``), ``real_A`` = x,
``real_B`` = y, ``fake_B`` = G(x), ``idt_B`` = G(y). Logged terms (the authors' names and scale):
``G_GAN`` (lambda_GAN-weighted), ``NCE`` = lambda_NCE * L_NCE(G, H, X), ``NCE_Y`` = lambda_NCE *
L_NCE(G, H, Y) (CUT only), ``G`` (G's total), ``D_real``, ``D_fake`` (unhalved), ``D`` (their half-sum).

Entry point: :func:`train` with a :class:`CUTConfig` (runs on :mod:`i2i.train.harness`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.losses import discriminator_loss, generator_gan_loss
from i2i.losses.patchnce import multilayer_patch_nce_loss
from i2i.nn import PatchSampleMLP
from i2i.nn.patchnce import random_hflip, unflip_features
from i2i.specs import ArchSpec
from i2i.train import harness
from i2i.train.config import Downsample, GanConfig, GanMode, Init, Norm, Upsample, option, require
from i2i.train.diffaugment import diff_augment, parse_policy
from i2i.train.gan import GanRecipe, domain_names
from i2i.train.harness import TrainResult
from i2i.train.loop import fixed_batch, optimizer_step, set_requires_grad
from i2i.train.runtime import unwrap

__all__ = ["CUT", "CUTConfig", "PatchNCEForward", "TrainResult", "load_config", "train"]

TASK = "cut"
LOSS_KEYS = ("G_GAN", "NCE", "NCE_Y", "G", "D_real", "D_fake", "D")
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
    """A CUT (or, with ``fast``, FastCUT) run. Defaults are the authors' (issue 18); shared options:
    :class:`GanConfig`. Options left at None take the CUT or FastCUT default (:data:`MODE_DEFAULTS`)."""

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
        parse_policy(self.diffaug)

    def layers(self) -> tuple[int, ...]:
        """``nce_layers`` as integers."""
        try:
            return tuple(int(v) for v in self.nce_layers.split(","))
        except ValueError:
            raise I2IError(f"nce-layers must be comma-separated integers, got {self.nce_layers!r}") from None


class PatchNCEForward(nn.Module):
    """G and the head H as one module, so that DDP sees every call (``G.encode`` bypasses DDP's forward).

    ``forward(inp, real, flipped, chunk)``: ``real`` (M, 3, H, W) in [-1, 1] (CUT: x stacked on y), ``inp``
    what G sees: ``real`` flipped left-right when ``flipped`` (FastCUT), else ``real``. Returns ``(out,
    pairs)``: G(inp) (M, 3, H, W) in [-1, 1], and per chunk of ``chunk`` images (x's, then y's) the
    (queries, keys) lists of (chunk, P, 256) embeddings at shared locations, queries from G(inp)'s features
    flipped back, keys from ``real``'s.
    """

    def __init__(self, G: nn.Module, head: PatchSampleMLP, layers: Sequence[int], num_patches: int) -> None:
        super().__init__()
        self.G, self.head = G, head
        self.layers, self.num_patches = tuple(layers), num_patches

    def forward(
        self, inp: torch.Tensor, real: torch.Tensor, flipped: bool, chunk: int
    ) -> tuple[torch.Tensor, list[Any]]:
        out = self.G(inp)
        feats_q = unflip_features(self.G.encode(out, self.layers), flipped)
        with torch.no_grad():  # keys are detached by the loss anyway
            feats_k = self.G.encode(real, self.layers)
        pairs = []
        for start in range(0, real.shape[0], chunk):
            part = slice(start, start + chunk)
            queries, keys = [f[part] for f in feats_q], [f[part] for f in feats_k]
            pairs.append(self.head.sample_pair(queries, keys, self.num_patches))
        return out, pairs


def train_step(recipe: CUT, real_A: torch.Tensor, real_B: torch.Tensor) -> dict[str, torch.Tensor]:
    """One step: translate (and encode), update D on (y, detached G(x)), then G and H together. With
    ``--diffaug`` D sees every image, real or fake, through a fresh random augmentation.

    ``real_A`` / ``real_B``: (N, 3, H, W) in [-1, 1] on the training device, unpaired. The flip coin and
    the patch locations come from torch's global RNG (restored on resume). Returns 0-d loss tensors.
    """
    cfg, prec, nets, opts = recipe.cfg, recipe.env.prec, recipe.nets, recipe.optimizers
    policy = recipe.diffaug_policy
    n = real_A.shape[0]
    real = torch.cat([real_A, real_B]) if cfg.nce_idt else real_A
    inp, flipped = random_hflip(real) if cfg.flip_equivariance else (real, False)
    with prec.autocast():
        out, pairs = nets["GF"](inp, real, flipped, n)
    fake_B = out[:n]

    set_requires_grad(nets["D"], True)
    opts["D"].zero_grad(set_to_none=True)
    with prec.autocast():
        pred_fake = nets["D"](diff_augment(fake_B.detach(), policy))
        pred_real = nets["D"](diff_augment(real_B, policy))
    loss_D, D_real, D_fake = discriminator_loss(pred_real, pred_fake, cfg.gan_mode)
    optimizer_step(loss_D, opts["D"], recipe.scalers["D"])

    set_requires_grad(nets["D"], False)
    for name in ("G", "F"):
        opts[name].zero_grad(set_to_none=True)
    with prec.autocast():
        G_GAN = cfg.lambda_GAN * generator_gan_loss(
            unwrap(nets["D"])(diff_augment(fake_B, policy)), cfg.gan_mode
        )
    nce = [cfg.lambda_NCE * multilayer_patch_nce_loss(q, k, cfg.nce_temperature) for q, k in pairs]
    terms = {"G_GAN": G_GAN, "NCE": nce[0]}
    if cfg.nce_idt:
        terms["NCE_Y"] = nce[1]
    loss_G = G_GAN + sum(nce) / len(nce)
    scaler = recipe.scalers["G"]  # one loss, one scale, two optimizers
    scaler.scale(loss_G).backward()
    scaler.step(opts["G"])
    scaler.step(opts["F"])
    scaler.update()
    losses = {**terms, "G": loss_G, "D_real": D_real, "D_fake": D_fake, "D": loss_D}
    return {k: v.detach() for k, v in losses.items()}


class CUT(GanRecipe[CUTConfig]):
    """CUT / FastCUT on the harness: networks ``G``, ``D`` and the PatchNCE head ``F``, one Adam each."""

    task = TASK
    config_class = CUTConfig
    ema_modules = ("G",)
    guard_keys = ("G",)
    progress_keys = ("G_GAN", "NCE", "D")
    curve_keys = ("G_GAN", "NCE", "NCE_Y", "D_real", "D_fake", "lr")
    metric_key = "eval_KID"

    def generator_arch(self) -> ArchSpec:
        arch = super().generator_arch()
        resample = {"downsample": self.cfg.downsample.value, "upsample": self.cfg.upsample.value}
        optional: dict[str, Any] = {"residual": True} if self.cfg.residual else {}  # older checkpoints: none
        if self.cfg.decoder_norm is not None:
            optional["decoder_norm"] = self.cfg.decoder_norm.value
        return ArchSpec(arch.name, {**arch.kwargs, **resample, **optional})  # resample always: CUT's is blur

    def discriminator_arch(self) -> ArchSpec:
        arch = super().discriminator_arch()
        return ArchSpec(arch.name, {**arch.kwargs, "antialias": self.cfg.antialias_D})

    def build(self) -> None:
        from i2i.data.datasets import UnalignedDataset

        cfg, ctx = self.cfg, self.env.ctx
        data_dir = self.resolve_data()
        self.domains = domain_names(self.data_name, cfg.direction)
        G = self.new_generator()
        if not hasattr(G, "encode"):
            raise I2IError(f"--net-g {cfg.netG}: PatchNCE needs a ResNet generator (resnet_9blocks)")
        head = PatchSampleMLP(
            in_channels=G.feature_channels(cfg.layers()), init=cfg.init.value, init_gain=cfg.init_gain
        )
        self.modules = {"G": G, "D": self.new_discriminator(), "F": self.env.place(head)}
        betas = (cfg.beta1, cfg.beta2)
        self.optimizers = {
            n: torch.optim.Adam(m.parameters(), lr=cfg.lr, betas=betas) for n, m in self.modules.items()
        }
        train_spec, eval_spec = self.transforms()
        common = {"direction": cfg.direction.value}
        crop_load_from = None if cfg.jitter_in_decay else cfg.epochs  # the decay epochs: the authors'
        self.train_set = UnalignedDataset(
            data_dir, phase="train", spec=train_spec, train=True, seed=cfg.seed, holdout=cfg.holdout,
            crop_load_from=crop_load_from, **common,
        )  # fmt: skip
        # Samples and KID probe: testA/testB when present, else the held-back files (--holdout), else train.
        phase = "test" if (data_dir / "testA").is_dir() and (data_dir / "testB").is_dir() else "train"
        held = {"holdout": cfg.holdout, "held_back": True} if phase == "train" and cfg.holdout else {}
        self.sample_set = UnalignedDataset(
            data_dir, phase=phase, spec=eval_spec, train=False, serial_batches=True, seed=0, **common, **held
        )
        self.fixed = fixed_batch(self.sample_set, cfg.n_samples)
        self.kid_probe = None
        self.diffaug_policy = parse_policy(cfg.diffaug)  # parsed once, not every step
        if cfg.eval_every and ctx.is_main:
            from i2i.eval.inception_features import FIDInception
            from i2i.eval.probes import KIDProbe

            self.kid_probe = KIDProbe(self.sample_set, cfg.eval_images, FIDInception(device=ctx.device))

    def wrap(self, wrap: Callable[[nn.Module], nn.Module]) -> dict[str, nn.Module]:
        """``GF``: G and the head behind one DDP wrapper (:class:`PatchNCEForward`); ``D`` on its own."""
        cfg, modules = self.cfg, self.modules
        forward = PatchNCEForward(modules["G"], modules["F"], cfg.layers(), cfg.num_patches)
        return {"GF": wrap(forward), "D": wrap(modules["D"])}

    def describe(self) -> str:
        (a, b), data = self.domains, self.train_set
        method = "FastCUT" if self.cfg.fast else "CUT"
        return f"{method}, {len(data.paths_a)} {a} and {len(data.paths_b)} {b} images from {self.data_dir}"

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return train_step(self, self.env.batch(batch["A"]), self.env.batch(batch["B"]))

    def sample_rows(self) -> tuple[list[list[torch.Tensor]], list[str]]:
        """Rows: real a, G(a), real b, G(b) (identity)."""
        G = self.inference("G")
        with torch.no_grad():
            fake = G(self.env.batch(self.fixed["A"])).float().cpu()
            idt = G(self.env.batch(self.fixed["B"])).float().cpu()
        real_A, real_B = self.fixed["A"], self.fixed["B"]
        rows = [[real_A[i], fake[i], real_B[i], idt[i]] for i in range(fake.shape[0])]
        a, b = self.domains
        return rows, [f"real {a}", f"fake {b} (step {self.env.step})", f"real {b}", f"identity {b}"]

    def probe(self) -> dict[str, float] | None:
        """KID of G on the sample images (needs --eval-every: it loads the FID Inception)."""
        if self.kid_probe is None:
            return None
        return {**self.kid_probe(self.inference("G"), self.env.batch), "eval_images": len(self.kid_probe)}

    def end_epoch(self) -> float | None:
        return float(self.env.last_losses.get("G", 0.0))

    def artefacts(self) -> dict[str, tuple[nn.Module, checkpoint.ModelHeader]]:
        (a, b), G = self.domains, self.release_module("G")
        header = checkpoint.make_header(
            self.generator_arch(), G, task=TASK, direction=self.cfg.direction.value, name=f"{a}2{b}",
            domains=self.domains, recipe=self.header_recipe(),
        )  # fmt: skip
        return {f"generator_{a}2{b}": (G, header)}


def train(cfg: CUTConfig, **kwargs: Any) -> TrainResult:
    """Train CUT / FastCUT (see :func:`i2i.train.harness.train` for ``run_dir``, ``resume``, ``console``)."""
    return harness.train(CUT, cfg, **kwargs)


def load_config(run_dir: Path, **overrides: Any) -> CUTConfig:
    """The config of the run in ``run_dir`` with ``overrides`` (max_steps, device, ...) applied."""
    return harness.load_config(CUTConfig, TASK, run_dir, **overrides)
