"""Fast style transfer: train a feed-forward network with perceptual losses (Johnson, Alahi and Fei-Fei
2016, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution"). REFERENCE §6.

Objective over photos x (RGB in [0, 1]) with the transformer network T (``johnson``, [-1, 1] IO) and
y = (T(2x - 1) + 1) / 2::

    L(T) = lambda_c * mean((phi_c(y) - phi_c(x))^2)                          content, relu2_2
         + lambda_s * sum_l mean((G(phi_l(y)) - G(phi_l(s)))^2)              style, relu1_2 relu2_2
                                                                            relu3_3 relu4_3
         + lambda_tv * TV(y)

phi: frozen VGG16 (ImageNet-normalised inside), G: Gram F F^T / (C H W), s: the style image (Grams
computed once). Defaults follow the reference: lambda_c = 1e5, lambda_s = 1e10, Adam lr 1e-3, batch 4,
2 epochs of 256x256 crops. Naming key: ``content_weight`` = lambda_c, ``style_weight`` = lambda_s,
``tv_weight`` = lambda_tv, ``net`` = T.

Run folder: ``config.json``, ``train_log.jsonl``, ``loss_curves.png``, ``samples/step_NNNNNN.png``
(photo | stylised rows), ``last.pt`` (resumable state: network, optimizer, step, RNG) and the release
checkpoint ``model.pt`` (self-describing, task ``fast_style``; export it with ``i2i export``).
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from rich.console import Console
from torch.utils.data import DataLoader, Dataset

from i2i import checkpoint
from i2i.config import ArchSpec
from i2i.errors import I2IError
from i2i.imageio import list_images, read_image, resize_long_side, to_float_chw
from i2i.nn import build_generator
from i2i.nn.transformer import JOHNSON_OUTPUT_SCALE
from i2i.style_losses import content_loss, gram, style_loss, tv_loss
from i2i.train.runtime import AMP_MODES, Precision

TASK = "fast_style"
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
MODEL_FILE = "model.pt"


@dataclass(frozen=True)
class FastStyleConfig:
    """A fast-style run. ``style``: file or bundled name. ``data``: a folder of photos (searched
    recursively). ``size``: training crop side. ``style_size``: long side of the style image (None keeps
    it). ``max_steps`` / ``max_minutes`` bound the run; ``*_every`` count optimizer steps."""

    style: str
    data: str
    out: str
    epochs: int = 2
    max_steps: int | None = None
    max_minutes: float | None = None
    batch_size: int = 4
    size: int = 256
    style_size: int | None = 512
    lr: float = 1e-3
    content_weight: float = 1e5
    style_weight: float = 1e10
    tv_weight: float = 0.0
    content_layer: str = "relu2_2"
    style_layers: tuple[str, ...] = STYLE_LAYERS
    ngf: int = 32
    n_blocks: int = 5
    backbone_weights: str | None = None
    amp: str = "auto"  # resolved per device by i2i.amp.resolve_amp; "none" for bit-exact float32
    seed: int = 0
    device: str = "auto"
    workers: int = 0
    log_every: int = 10
    sample_every: int = 200
    save_every: int = 500

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "log_every", "sample_every", "save_every"):
            if getattr(self, name) < 1:
                raise I2IError(f"{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if self.size < 16 or self.size % 4:
            raise I2IError(f"--size must be a multiple of 4 and at least 16, got {self.size}")
        if self.max_steps is not None and self.max_steps < 1:
            raise I2IError(f"max-steps must be >= 1, got {self.max_steps}")
        if self.amp not in AMP_MODES:
            raise I2IError(f"unknown --amp {self.amp!r}; valid: {', '.join(AMP_MODES)}")


class PhotoCrops(Dataset):
    """Every image under a folder as a (3, size, size) float tensor in [0, 1]: the short side resized to
    ``size`` (bilinear, antialiased), then a random crop (seeded per item) or a centre crop."""

    def __init__(self, folder: Path, size: int, seed: int = 0, train: bool = True) -> None:
        self.paths, _ = list_images(folder)
        if not self.paths:
            raise I2IError(f"{folder}: no images found")
        self.size, self.seed, self.train = size, seed, train
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        img = read_image(self.paths[index])
        scale = self.size / min(img.size)
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
class FastStyleResult:
    """How a run ended: ``checkpoint`` is the release ``model.pt``; ``stopped``: done | max_steps | time |
    interrupted."""

    run_dir: Path
    checkpoint: Path
    step: int
    stopped: str
    losses: dict[str, float]


def _losses(
    features: torch.nn.Module,
    net: torch.nn.Module,
    x: torch.Tensor,
    grams: dict[str, torch.Tensor],
    cfg: FastStyleConfig,
    precision: Precision,
) -> dict[str, torch.Tensor]:
    """The weighted loss terms as 0-d device tensors (``total`` carries the graph); nothing is read back
    to the host here, so a GPU step never waits."""
    with precision.autocast():
        y = (net(x * 2 - 1) + 1) / 2
        with torch.no_grad():
            target = features(x)[cfg.content_layer]
        feats = features(y)
    # Grams of bfloat16 activations lose the small differences the style loss is made of: float32 here.
    feats = {name: value.float() for name, value in feats.items()}
    y = y.float()
    c = cfg.content_weight * content_loss(feats[cfg.content_layer], target.float())
    s = cfg.style_weight * style_loss(feats, grams, dict.fromkeys(cfg.style_layers, 1.0))
    t = cfg.tv_weight * tv_loss(y) if cfg.tv_weight else y.new_zeros(())
    return {"total": c + s + t, "content": c, "style": s, "tv": t}


def train(cfg: FastStyleConfig, console: Console | None = None, resume: bool = False) -> FastStyleResult:
    """Train a fast-style network; returns where the release checkpoint is. ``resume`` continues the run
    in ``cfg.out`` from its ``last.pt``."""
    from i2i.features.vgg import load_vgg
    from i2i.optimize.style_images import resolve_style
    from i2i.train import rundir
    from i2i.train.progress import StopControl, TrainProgress
    from i2i.train.runtime import rng_state, seed_everything, select_device, set_rng_state
    from i2i.train.visuals import plot_curves, save_grid

    console = console or Console(stderr=True)
    run_dir = rundir.prepare_run_dir(Path(cfg.out), resume=resume)
    seed_everything(cfg.seed)
    device = select_device(cfg.device)
    precision = Precision(device, cfg.amp)
    style_path, style_name = resolve_style(cfg.style)
    taps = [cfg.content_layer, *cfg.style_layers]

    def log(message: str) -> None:
        console.print(f"[dim]weights:[/] {message}", soft_wrap=True)

    features = load_vgg("vgg16", taps, cfg.backbone_weights, log=log).to(device)
    style_img = read_image(style_path)
    if cfg.style_size is not None:
        style_img = resize_long_side(style_img, cfg.style_size)
    with torch.no_grad():
        s_feats = features(torch.from_numpy(to_float_chw(style_img)).unsqueeze(0).to(device))
        grams = {layer: gram(s_feats[layer]) for layer in cfg.style_layers}

    data = PhotoCrops(Path(cfg.data), cfg.size, cfg.seed)
    loader = DataLoader(
        data,
        batch_size=cfg.batch_size,
        shuffle=True,
        drop_last=len(data) >= cfg.batch_size,
        num_workers=cfg.workers,
        generator=torch.Generator().manual_seed(cfg.seed),
    )
    fixed = torch.stack(
        [PhotoCrops(Path(cfg.data), cfg.size, train=False)[i] for i in range(min(4, len(data)))]
    )
    arch = ArchSpec(
        "johnson",
        {
            "in_channels": 3,
            "out_channels": 3,
            "ngf": cfg.ngf,
            "n_blocks": cfg.n_blocks,
            "output_scale": JOHNSON_OUTPUT_SCALE,
        },
    )
    net = build_generator(arch.name, **arch.kwargs).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    scaler = precision.grad_scaler()
    step, epoch = 0, 0
    if resume:
        state = rundir.load_state(run_dir / rundir.STATE_FILE)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["optimizer"])
        step, epoch = int(state["step"]), int(state["epoch"])
        set_rng_state(state["rng"])
    else:
        rundir.write_json(run_dir / rundir.CONFIG_FILE, {"task": TASK, **asdict(cfg)})
    log_file = rundir.JsonlLog(run_dir / rundir.LOG_FILE)
    steps_per_epoch = len(loader)
    total_steps = cfg.epochs * steps_per_epoch
    if cfg.max_steps is not None:
        total_steps = min(total_steps, cfg.max_steps)
    console.print(
        f"fast style {style_name}: {len(data)} photos, {steps_per_epoch} steps/epoch, {total_steps} steps "
        f"on {device} ({features.arch} {cfg.content_layer} / {', '.join(cfg.style_layers)}) -> {run_dir}"
    )

    def save_release() -> Path:
        header = checkpoint.make_header(
            arch, net, task=TASK, name=style_name,
            recipe={**asdict(cfg), "style_file": str(style_path), "steps": step},
        )  # fmt: skip
        return checkpoint.save(run_dir / MODEL_FILE, net, header)

    def save_resumable() -> None:
        state = {"net": net.state_dict(), "optimizer": opt.state_dict(), "step": step, "epoch": epoch}
        rundir.save_state(run_dir / rundir.STATE_FILE, {**state, "rng": rng_state()})

    losses: dict[str, float] = {}
    stopped = "done"
    t0 = time.perf_counter()
    with StopControl(cfg.max_minutes) as stop, TrainProgress(console, total_steps, step, cfg.epochs) as bar:
        while step < total_steps:
            data.epoch = epoch
            for batch in loader:
                net.train()
                terms = _losses(features, net, batch.to(device, non_blocking=True), grams, cfg, precision)
                opt.zero_grad(set_to_none=True)
                scaler.scale(terms["total"]).backward()
                scaler.step(opt)
                scaler.update()
                step += 1
                if step % cfg.log_every == 0 or step == total_steps or step == 1:
                    losses = {k: float(v.detach()) for k, v in terms.items()}  # the only host sync
                    log_file.write("train", step=step, epoch=epoch, **losses)
                bar.update(step, epoch, losses)
                if step % cfg.sample_every == 0 or step == total_steps:
                    net.eval()
                    with torch.no_grad():
                        out = net(fixed.to(device) * 2 - 1).clamp(-1, 1).cpu()
                    rows = [[fixed[i] * 2 - 1, out[i]] for i in range(len(fixed))]
                    save_grid(run_dir / "samples" / f"step_{step:06d}.png", rows, ["photo", style_name])
                    plot_curves(run_dir / rundir.CURVES_FILE, log_file.records, ["total", "content", "style"])
                if step % cfg.save_every == 0:
                    save_resumable()
                    save_release()
                if step >= total_steps:
                    break
                if stop.should_stop:
                    stopped = "interrupted" if stop.interrupted else "time"
                    break
            else:
                epoch += 1
                continue
            break
    if stopped == "done" and cfg.max_steps is not None and step >= cfg.max_steps:
        stopped = "max_steps"
    save_resumable()
    path = save_release()
    console.print(f"{step} steps in {time.perf_counter() - t0:.1f} s ({stopped}); wrote {path}")
    return FastStyleResult(run_dir, path, step, stopped, losses)
