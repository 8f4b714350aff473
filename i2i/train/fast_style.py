"""Fast style transfer: train a feed-forward network with perceptual losses (Johnson, Alahi and Fei-Fei
2016, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV, arXiv 1603.08155).

Objective over photos x (RGB in [0, 1]) with the transformer network T (``johnson``, [-1, 1] IO) and
y = (T(2x - 1) + 1) / 2::

    L(T) = lambda_c * mean((phi_c(y) - phi_c(x))^2)                          content, relu2_2
         + lambda_s * sum_l mean((G(phi_l(y)) - G(phi_l(s)))^2)              style, relu1_2 relu2_2
                                                                            relu3_3 relu4_3
         + lambda_tv * TV(y) + lambda_grid * grid(y)

phi: frozen VGG16 (ImageNet-normalised inside), G: Gram F F^T / (C H W), s: the style image (Grams
computed once). Defaults follow the authors' code: lambda_c = 1e5, lambda_s = 1e10 (for inputs on a 0-255
scale), Adam lr 1e-3, batch 4, 2 epochs of 256x256 crops. Naming key: ``content_weight`` = lambda_c,
``style_weight`` = lambda_s, ``tv_weight`` = lambda_tv, ``grid_weight`` = lambda_grid (off by default; grid:
:func:`i2i.losses.grid_loss`, the energy of y's local period-4 pattern, which VGG16's Grams reward and an
independent network does not), ``net`` = T. Logged terms (weighted): ``content``, ``style``, ``tv``,
``grid`` (with a grid weight), ``total``.

``--loss gatys`` swaps in the objective of :mod:`i2i.optimize.neural_style` (content at relu4_2, each style
layer's Gram error divided by the painting's ``mean(A_l^2)``, relu1_1..relu5_1, lambda_c = 1, lambda_s = 30).
``--loss-scales 1,0.5`` averages the content and style terms over the photo and output shrunk by each
factor (antialiased bilinear), against the painting shrunk by the same factor: the half-size term asks for
strokes twice as large, as the coarse pass of the optimisation's coarse-to-fine schedule does.

Runs on :mod:`i2i.train.loop` (run folder, resume, EMA, snapshots, divergence guard); the release
checkpoint is ``model.pt`` (self-describing, task ``fast_style``; export it with ``i2i export``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from i2i import checkpoint
from i2i.amp import Precision
from i2i.errors import I2IError
from i2i.imageio import list_images, read_image, resize_long_side, to_float_chw
from i2i.losses import content_loss, gram, grid_loss, style_loss, target_normalised, tv_loss
from i2i.nn import build_generator
from i2i.nn.transformer import JOHNSON_OUTPUT_SCALE
from i2i.specs import ArchSpec
from i2i.train.harness import TrainResult, entry_points
from i2i.train.recipe import Recipe, optimizer_step
from i2i.train.recipe_configs import STYLE_LAYERS, FastStyleConfig, StyleNorm

__all__ = [
    "STYLE_LAYERS",
    "FastStyle",
    "FastStyleConfig",
    "PhotoCrops",
    "StyleNorm",
    "TrainResult",
    "load_config",
    "train",
]

TASK = "fast_style"
MODEL_FILE = "model.pt"


class PhotoCrops(Dataset):
    """Every image under a folder as a (3, size, size) float tensor in [0, 1]: the short side resized to
    ``load_size`` (default ``size``; bilinear), then a random crop (seeded per epoch and item) or a centre
    crop."""

    def __init__(
        self, folder: Path, size: int, seed: int = 0, train: bool = True, load_size: int | None = None
    ) -> None:
        self.paths, _ = list_images(folder)
        if not self.paths:
            raise I2IError(f"{folder}: no images found")
        self.size, self.seed, self.train = size, seed, train
        self.load_size = load_size or size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        img = read_image(self.paths[index])
        scale = self.load_size / min(img.size)
        w, h = max(self.size, round(img.width * scale)), max(self.size, round(img.height * scale))
        img = img.resize((w, h), resample=2)  # BILINEAR
        if self.train:
            rng = random.Random(hash((self.seed, self.epoch, index)))
            left, top = rng.randint(0, w - self.size), rng.randint(0, h - self.size)
        else:
            left, top = (w - self.size) // 2, (h - self.size) // 2
        img = img.crop((left, top, left + self.size, top + self.size))
        return torch.from_numpy(to_float_chw(img))


@dataclass(frozen=True)
class ScaleTargets:
    """The painting at one loss scale: ``grams`` {layer: (1, C, C)} of the style image shrunk by ``scale``,
    and ``factors``, each layer's weight in :func:`i2i.losses.style_loss` (1, or 1 / mean(A_l^2) under the
    ``target`` norm)."""

    scale: float
    grams: dict[str, torch.Tensor]
    factors: dict[str, float | torch.Tensor]


def shrink(images: torch.Tensor, scale: float) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, round(H * scale), round(W * scale)), antialiased bilinear (1: unchanged)."""
    if scale == 1:
        return images
    size = (max(1, round(images.shape[-2] * scale)), max(1, round(images.shape[-1] * scale)))
    # In float32 outside autocast: the CPU has no bfloat16 antialiased resize.
    with torch.autocast(images.device.type, enabled=False):
        return F.interpolate(images.float(), size=size, mode="bilinear", align_corners=False, antialias=True)


@torch.no_grad()
def style_targets(features: nn.Module, style: torch.Tensor, cfg: FastStyleConfig) -> list[ScaleTargets]:
    """The painting ``style`` ((1, 3, h, w) in [0, 1], already at ``--style-size``) at every loss scale."""
    out = []
    for scale in cfg.scales:
        feats = features(shrink(style, scale))
        grams = {layer: gram(feats[layer]) for layer in cfg.style_layers}
        ones = dict.fromkeys(cfg.style_layers, 1.0)
        factors = target_normalised(grams, ones) if cfg.style_norm == "target" else ones
        out.append(ScaleTargets(scale, grams, factors))
    return out


def perceptual_losses(
    features: nn.Module,
    net: nn.Module,
    x: torch.Tensor,
    targets: list[ScaleTargets],
    cfg: FastStyleConfig,
    precision: Precision,
) -> dict[str, torch.Tensor]:
    """The weighted loss terms of photos ``x`` ((N, 3, H, W) in [0, 1]) as 0-d device tensors (``total``
    carries the graph), content and style averaged over ``targets``' scales; nothing is read back to the
    host here."""
    content, styled = x.new_zeros(()), x.new_zeros(())
    with precision.autocast():
        y = (net(x * 2 - 1) + 1) / 2
    for target in targets:
        with precision.autocast():
            with torch.no_grad():
                reference = features(shrink(x, target.scale))[cfg.content_layer]
            feats = features(shrink(y, target.scale))
        # Grams of bfloat16 activations lose the small differences the style loss is made of: float32 here.
        feats = {name: value.float() for name, value in feats.items()}
        content = content + content_loss(feats[cfg.content_layer], reference.float())
        styled = styled + style_loss(feats, target.grams, target.factors)
    y = y.float()
    c = cfg.content_weight * content / len(targets)
    s = cfg.style_weight * styled / len(targets)
    t = cfg.tv_weight * tv_loss(y) if cfg.tv_weight else y.new_zeros(())
    if not cfg.grid_weight:  # logged only when on, so runs without it keep the records they always had
        return {"total": c + s + t, "content": c, "style": s, "tv": t}
    g = cfg.grid_weight * grid_loss(y)
    return {"total": c + s + t + g, "content": c, "style": s, "tv": t, "grid": g}


class FastStyle(Recipe[FastStyleConfig]):
    """Fast style: network ``net`` and its optimizer ``net``; VGG16 stays frozen."""

    task = TASK
    config_class = FastStyleConfig
    ema_modules = ("net",)
    guard_keys = ("total",)
    progress_keys = ("total", "content", "style")
    curve_keys = ("total", "content", "style", "tv", "grid")

    def build(self) -> None:
        from i2i.features.vgg import load_vgg
        from i2i.optimize.style_images import resolve_style

        cfg, env = self.cfg, self.env
        self.style_path, self.data_name = resolve_style(cfg.style)

        def log(message: str) -> None:
            env.console.print(f"[dim]weights:[/] {message}", soft_wrap=True)

        taps = [cfg.content_layer, *cfg.style_layers]
        self.features = load_vgg("vgg16", taps, cfg.backbone_weights, log=log).to(env.ctx.device)
        style_img = read_image(self.style_path)
        if cfg.style_size is not None:
            style_img = resize_long_side(style_img, cfg.style_size)
        style = torch.from_numpy(to_float_chw(style_img)).unsqueeze(0).to(env.ctx.device)
        self.targets = style_targets(self.features, style, cfg)
        self.train_set = PhotoCrops(Path(cfg.data), cfg.size, cfg.seed, load_size=cfg.load_size)
        fixed = PhotoCrops(Path(cfg.data), cfg.size, train=False, load_size=cfg.load_size)
        self.fixed = torch.stack([fixed[i] for i in range(min(cfg.n_samples, len(fixed)))])
        kwargs = {"in_channels": 3, "out_channels": 3, "ngf": cfg.ngf, "n_blocks": cfg.n_blocks,
                  "output_scale": JOHNSON_OUTPUT_SCALE}  # fmt: skip
        if cfg.norm != StyleNorm.instance:  # the default layout needs no entry (older checkpoints have none)
            kwargs["norm"] = cfg.norm.value
        if cfg.pad:
            kwargs["pad"] = cfg.pad
        self.arch = ArchSpec("johnson", kwargs)
        self.modules = {"net": env.place(build_generator(self.arch.name, **self.arch.kwargs))}
        self.optimizers = {"net": torch.optim.Adam(self.modules["net"].parameters(), lr=cfg.lr)}

    def describe(self) -> str:
        cfg = self.cfg
        layers = f"{self.features.arch} {cfg.content_layer} / {', '.join(cfg.style_layers)}"
        scales = f", scales {', '.join(f'{v:g}' for v in cfg.scales)}" if cfg.scales != (1.0,) else ""
        loss = f"{cfg.loss} loss ({layers}, style norm {cfg.style_norm}{scales})"
        return f"style {self.data_name}: {len(self.train_set)} photos from {cfg.data}, {loss}"

    def run_info(self) -> dict[str, Any]:
        return {"data_path": str(Path(self.cfg.data).resolve()), "style_file": str(self.style_path)}

    def train_step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        opt = self.optimizers["net"]
        opt.zero_grad(set_to_none=True)
        x, env = self.env.batch(batch), self.env
        terms = perceptual_losses(self.features, self.nets["net"], x, self.targets, self.cfg, env.prec)
        optimizer_step(terms["total"], opt, self.scalers["net"])
        return {k: v.detach() for k, v in terms.items()}

    def sample_rows(self) -> tuple[list[list[torch.Tensor]], list[str]]:
        with torch.no_grad():
            out = self.inference("net")(self.env.batch(self.fixed) * 2 - 1).float().clamp(-1, 1).cpu()
        return [[self.fixed[i] * 2 - 1, out[i]] for i in range(len(out))], ["photo", self.data_name]

    def artefacts(self) -> dict[str, tuple[nn.Module, checkpoint.ModelHeader]]:
        net = self.release_module("net")
        recipe = {**self.header_recipe(), "style_file": str(self.style_path)}
        header = checkpoint.make_header(self.arch, net, task=TASK, name=self.data_name, recipe=recipe)
        return {Path(MODEL_FILE).stem: (net, header)}


train, load_config = entry_points(FastStyle)
