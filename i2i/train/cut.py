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

Entry point: :func:`train` with a :class:`CUTConfig`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.losses import generator_gan_loss
from i2i.losses.patchnce import multilayer_patch_nce_loss
from i2i.nn import PatchSampleMLP
from i2i.nn.patchnce import random_hflip, unflip_features
from i2i.specs import ArchSpec
from i2i.train.diffaugment import diff_augment
from i2i.train.distributed import unwrap
from i2i.train.gan import GanRecipe, domain_names
from i2i.train.harness import TrainResult, entry_points
from i2i.train.recipe_configs import MODE_DEFAULTS, CUTConfig, parse_diffaug

__all__ = ["CUT", "MODE_DEFAULTS", "CUTConfig", "PatchNCEForward", "TrainResult", "load_config", "train"]

LOSS_KEYS = ("G_GAN", "NCE", "NCE_Y", "G", "D_real", "D_fake", "D")


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


class CUT(GanRecipe[CUTConfig]):
    """CUT / FastCUT: networks ``G``, ``D`` and the PatchNCE head ``F``, one Adam each."""

    task = "cut"
    config_class = CUTConfig
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
        cfg = self.cfg
        data_dir = self.resolve_data()
        self.domains = domain_names(self.data_name, cfg.direction)
        G = self.new_generator()
        if not hasattr(G, "encode"):
            raise I2IError(f"--net-g {cfg.netG}: PatchNCE needs a ResNet generator (resnet_9blocks)")
        head = PatchSampleMLP(
            in_channels=G.feature_channels(cfg.layers()), init=cfg.init.value, init_gain=cfg.init_gain
        )
        self.modules = {"G": G, "D": self.new_discriminator(), "F": self.env.place(head)}
        self.optimizers = {name: self.adam(name) for name in self.modules}
        crop_load_from = None if cfg.jitter_in_decay else cfg.epochs  # the decay epochs: the authors'
        self.unpaired_data(data_dir, crop_load_from=crop_load_from)
        self.diffaug_policy = parse_diffaug(cfg.diffaug)  # parsed once, not every step

    def wrap(self, wrap: Callable[[nn.Module], nn.Module]) -> dict[str, nn.Module]:
        """``GF``: G and the head behind one DDP wrapper (:class:`PatchNCEForward`); ``D`` on its own."""
        cfg, modules = self.cfg, self.modules
        forward = PatchNCEForward(modules["G"], modules["F"], cfg.layers(), cfg.num_patches)
        return {"GF": wrap(forward), "D": wrap(modules["D"])}

    def describe(self) -> str:
        return f"{'FastCUT' if self.cfg.fast else 'CUT'}, {super().describe()}"

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One step: translate (and encode), update D on (y, detached G(x)), then G and H together. With
        ``--diffaug`` D sees every image, real or fake, through a fresh random augmentation.

        ``batch["A"]`` / ``batch["B"]``: (N, 3, H, W) in [-1, 1], unpaired. The flip coin and the patch
        locations come from torch's global RNG (restored on resume). Returns 0-d loss tensors.
        """
        cfg, prec, nets, policy = self.cfg, self.env.prec, self.nets, self.diffaug_policy
        real_A, real_B = self.env.batch(batch["A"]), self.env.batch(batch["B"])
        n = real_A.shape[0]
        real = torch.cat([real_A, real_B]) if cfg.nce_idt else real_A
        inp, flipped = random_hflip(real) if cfg.flip_equivariance else (real, False)
        with prec.autocast():
            out, pairs = nets["GF"](inp, real, flipped, n)
        fake_B = out[:n]

        self.requires_grad("D", True)
        self.zero_grad("D")
        with prec.autocast():
            pred_fake = nets["D"](diff_augment(fake_B.detach(), policy))
            pred_real = nets["D"](diff_augment(real_B, policy))
        loss_D, D_real, D_fake = self.d_loss(nets["D"], real_B, fake_B, pred_real, pred_fake, penalty=False)
        self.update(loss_D, "D")

        self.requires_grad("D", False)
        self.zero_grad("G", "F")
        with prec.autocast():
            G_GAN = cfg.lambda_GAN * generator_gan_loss(
                unwrap(nets["D"])(diff_augment(fake_B, policy)), cfg.gan_mode
            )
        nce = [cfg.lambda_NCE * multilayer_patch_nce_loss(q, k, cfg.nce_temperature) for q, k in pairs]
        terms = {"G_GAN": G_GAN, "NCE": nce[0]}
        if cfg.nce_idt:
            terms["NCE_Y"] = nce[1]
        loss_G = G_GAN + sum(nce) / len(nce)
        self.update(loss_G, "G", "F")  # one loss, one scale, two optimizers
        losses = {**terms, "G": loss_G, "D_real": D_real, "D_fake": D_fake, "D": loss_D}
        return {k: v.detach() for k, v in losses.items()}

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

    def artefacts(self) -> dict[str, tuple[nn.Module, checkpoint.ModelHeader]]:
        (a, b), direction = self.domains, self.cfg.direction.value
        return {f"generator_{a}2{b}": self.release("G", direction, f"{a}2{b}", self.domains)}


train, load_config = entry_points(CUT)
