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
``fake_B`` = G(x); ``netG`` = G, ``netD`` = D. Logged terms: ``G_GAN`` (adversarial term of G), ``G_L1``
(the unweighted mean absolute error, in [-1, 1] image units), ``G`` (G's total loss, ``G_GAN + lambda *
G_L1``), ``D_real``, ``D_fake``, ``D`` (= 0.5 * (D_real + D_fake)), ``acc_real`` / ``acc_fake`` (fraction of
D's patches classified correctly).

Entry point: :func:`train` with a :class:`Pix2PixConfig`; ``i2i train pix2pix`` builds the config.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from torch import nn

from i2i import checkpoint
from i2i.config import ArchSpec
from i2i.errors import I2IError
from i2i.eval import metrics
from i2i.losses import (
    discriminator_accuracy,
    discriminator_loss,
    generator_gan_loss,
    gradient_penalty,
    l1_loss,
)
from i2i.nn import build_discriminator, build_generator, size_multiple
from i2i.train import rundir
from i2i.train.config import TrainConfig, require
from i2i.train.loop import (
    RunningMeans,
    fixed_batch,
    inference_copy,
    make_loader,
    module_state,
    nan_guard,
    set_requires_grad,
)
from i2i.train.monitor import DominanceMonitor, collapse_warning
from i2i.train.progress import StopControl, TrainProgress
from i2i.train.runtime import (
    DistContext,
    Precision,
    all_reduce_max,
    all_reduce_mean,
    barrier,
    gather_objects,
    rng_state,
    seed_everything,
    set_rng_state,
    setup_distributed,
    unwrap,
    wrap_ddp,
)
from i2i.train.schedules import build_scheduler, current_lr, step_scheduler
from i2i.train.visuals import plot_curves, save_grid

TASK = "pix2pix"
STATE_VERSION = 1
COLLAPSE_CHECK_AFTER = 500  # steps; freshly initialised generators give near-constant outputs
LOSS_KEYS = ("G_GAN", "G_L1", "G", "D_real", "D_fake", "D", "acc_real", "acc_fake")


@dataclass(frozen=True)
class Pix2PixConfig(TrainConfig):
    """Everything a Pix2Pix run needs. Defaults reproduce the paper (REFERENCE §3); the shared options
    are :class:`~i2i.train.config.TrainConfig`'s. ``val_every`` counts epochs."""

    netG: str = "unet_256"
    num_downs: int | None = None
    norm: str = "batch"
    dropout: bool = True
    gan_mode: str = "vanilla"
    lambda_l1: float = 100.0
    n_samples: int = 4
    val_every: int = 1
    val_images: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self, ("val_every",), 1)

    def generator_arch(self) -> ArchSpec:
        """What the release checkpoint records: registry name + builder kwargs."""
        kwargs: dict[str, Any] = {
            "in_channels": 3,
            "out_channels": 3,
            "ngf": self.ngf,
            "norm": self.norm,
            "use_dropout": self.dropout,
        }
        if self.netG == "unet" and self.num_downs is not None:
            kwargs["num_downs"] = self.num_downs
        return ArchSpec(self.netG, kwargs)


@dataclass(frozen=True)
class TrainResult:
    """How a run ended. ``stopped``: ``done`` | ``max_steps`` | ``time`` | ``interrupted``."""

    run_dir: Path
    step: int
    epoch: int
    stopped: str
    checkpoint: Path | None
    losses: dict[str, float]
    val: dict[str, float] | None
    generator: nn.Module | None = None
    """The trained generator (unwrapped, on the training device, train mode) - every rank has one."""


# ----------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class PairedData:
    train: Any
    val: Any | None
    name: str
    domains: tuple[str, str]
    path: Path


def _phase_dir(root: Path, phases: tuple[str, ...]) -> str | None:
    return next((p for p in phases if (root / p).is_dir()), None)


def build_paired_data(cfg: Pix2PixConfig, data_dir: Path, multiple: int) -> PairedData:
    """Training and validation datasets from ``data_dir``.

    Layouts: ``train/`` + ``val/`` (or ``test/``) folders of AB images (the pix2pix archives), a single
    folder of AB images (no validation split), or ``A/`` + ``B/`` folders of matching file names, each
    optionally split into ``train/`` and ``val/``.
    """
    from i2i.data.catalog import CATALOG
    from i2i.data.datasets import AlignedDataset, PairedFolderDataset
    from i2i.data.transforms import TransformSpec

    train_spec = TransformSpec(cfg.load_size, cfg.crop_size, cfg.flip, cfg.preprocess)  # type: ignore[arg-type]
    eval_spec = TransformSpec(cfg.load_size, cfg.crop_size, False, cfg.preprocess, pad_multiple=multiple)  # type: ignore[arg-type]
    common = {"direction": cfg.direction, "seed": cfg.seed}
    if (data_dir / "A").is_dir() and (data_dir / "B").is_dir():
        a, b = data_dir / "A", data_dir / "B"
        tr = _phase_dir(a, ("train",))
        va = _phase_dir(a, ("val", "test"))
        train = PairedFolderDataset(a / (tr or ""), b / (tr or ""), spec=train_spec, train=True, **common)
        val = (
            PairedFolderDataset(a / va, b / va, spec=eval_spec, train=False, **common)
            if tr and va and (b / va).is_dir()
            else None
        )
    else:
        tr = _phase_dir(data_dir, ("train",))
        va = _phase_dir(data_dir, ("val", "test"))
        train = AlignedDataset(data_dir, phase=tr, spec=train_spec, train=True, **common)
        val = AlignedDataset(data_dir, phase=va, spec=eval_spec, train=False, **common) if tr and va else None
    name = cfg.data if cfg.data in CATALOG else data_dir.name
    entry = CATALOG.get(name)
    sides = (entry.side_a, entry.side_b) if entry and entry.side_a and entry.side_b else ("A", "B")
    domains = (sides[0], sides[1]) if cfg.direction == "AtoB" else (sides[1], sides[0])
    return PairedData(train=train, val=val, name=name, domains=domains, path=data_dir)


def _resolve_data(cfg: Pix2PixConfig, ctx: DistContext) -> Path:
    from i2i.data.resolve import resolve_dataset

    # Rank 0 fetches a missing catalog dataset; the others wait for it and then only look it up.
    path = resolve_dataset(cfg.data, cfg.data_root, fetch=True, progress=True) if ctx.is_main else None
    barrier(ctx)
    if path is None:
        path = resolve_dataset(cfg.data, cfg.data_root, fetch=False)
    return path


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
) -> dict[str, float]:
    """One optimisation step: update D on (real, detached fake) pairs, then G on adversarial + L1.

    ``real_A`` / ``real_B``: (N, 3, H, W) in [-1, 1] on the training device. ``G`` and ``D`` may be DDP
    wrappers. Returns the step's scalar losses (see the module docstring for the keys).
    """
    scaler_G, scaler_D = scalers
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
    scaler_D.scale(loss_D).backward()
    scaler_D.step(opt_D)
    scaler_D.update()

    # G: fool the (fixed) D and stay close to the target. D is called unwrapped: no gradient for it here.
    set_requires_grad(D, False)
    opt_G.zero_grad(set_to_none=True)
    with prec.autocast():
        pred_fake_for_G = unwrap(D)(torch.cat([real_A, fake_B], dim=1))
    loss_G_GAN = generator_gan_loss(pred_fake_for_G, cfg.gan_mode)
    loss_G_L1 = l1_loss(fake_B, real_B)
    loss_G = loss_G_GAN + cfg.lambda_l1 * loss_G_L1
    scaler_G.scale(loss_G).backward()
    scaler_G.step(opt_G)
    scaler_G.update()

    acc_real, acc_fake = discriminator_accuracy(pred_real, pred_fake, cfg.gan_mode)
    return {
        "G_GAN": loss_G_GAN.item(),
        "G_L1": loss_G_L1.item(),
        "G": loss_G.item(),
        "D_real": loss_D_real.item(),
        "D_fake": loss_D_fake.item(),
        "D": loss_D.item(),
        "acc_real": acc_real,
        "acc_fake": acc_fake,
    }


# ----------------------------------------------------------------------------------------------- eval
@torch.no_grad()
def validate(G: nn.Module, dataset: Any, prec: Precision, limit: int | None = None) -> dict[str, float]:
    """Mean L1 / PSNR / SSIM of ``G`` (an inference copy) on ``dataset``, images compared in [0, 1]."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    totals = {"val_L1": 0.0, "val_PSNR": 0.0, "val_SSIM": 0.0}
    for i in range(n):
        item = dataset[i]
        x = prec.prepare_input(item["A"].unsqueeze(0))
        y = item["B"].unsqueeze(0)
        out = (G(x).float().cpu().clamp(-1, 1) + 1) / 2
        tgt = (y + 1) / 2
        totals["val_L1"] += float(metrics.l1(out, tgt))
        totals["val_PSNR"] += float(metrics.psnr(out, tgt))
        totals["val_SSIM"] += float(metrics.ssim(out, tgt))
    return {k: v / max(1, n) for k, v in totals.items()} | {"val_images": n}


@torch.no_grad()
def sample_outputs(G: nn.Module, batch: dict[str, torch.Tensor], prec: Precision) -> torch.Tensor:
    """``G(batch["A"])`` on CPU, (n, 3, H, W) in [-1, 1]."""
    return G(prec.prepare_input(batch["A"])).float().cpu()


# ----------------------------------------------------------------------------------------------- train
def load_config(run_dir: Path, **overrides: Any) -> Pix2PixConfig:
    """The config a run was started with (``run_dir/config.json``), with ``overrides`` applied
    (bounded-run and runtime options such as ``max_steps``, ``max_minutes``, ``workers``, ``device``)."""
    data = rundir.read_config(run_dir)
    if data.get("task", TASK) != TASK:
        raise I2IError(f"{run_dir}: is a {data.get('task')!r} run, not {TASK}")
    cfg = Pix2PixConfig.from_dict(data.get("config", data))
    return replace(cfg, **overrides)


def train(
    cfg: Pix2PixConfig,
    *,
    run_dir: Path | None = None,
    resume: bool = False,
    console: Console | None = None,
) -> TrainResult:
    """Train Pix2Pix as ``cfg`` says; returns how it ended.

    ``run_dir``: where to write (default ``cfg.out``, else ``runs/pix2pix-<data>-<timestamp>``).
    ``resume=True`` continues the run in ``run_dir`` from its ``last.pt`` exactly: same step, learning
    rates, RNG streams and data order. Under torchrun each process calls this; only rank 0 writes.
    """
    console = console or Console(stderr=True, highlight=False)
    ctx = setup_distributed(cfg.device)
    log_out = console if ctx.is_main else Console(quiet=True)
    seed_everything(cfg.seed + ctx.rank)

    # --- data and networks
    data_dir = _resolve_data(cfg, ctx)
    G = build_generator(cfg.netG, init=cfg.init, init_gain=cfg.init_gain, **cfg.generator_arch().kwargs)
    D = build_discriminator(
        cfg.netD, init=cfg.init, init_gain=cfg.init_gain, **cfg.discriminator_arch().kwargs
    )
    multiple = size_multiple(G)
    if cfg.crop_size % multiple:
        hint = max(multiple, cfg.crop_size // multiple * multiple)
        raise I2IError(
            f"crop size {cfg.crop_size} is not a multiple of {multiple}, which {cfg.netG} needs "
            f"(use --netG unet_128 for 128 px, or --image-size {hint})"
        )
    data = build_paired_data(cfg, data_dir, multiple)
    if len(data.train) < ctx.world_size:
        raise I2IError(
            f"{data_dir}: {len(data.train)} training images cannot feed {ctx.world_size} processes"
        )

    prec = Precision(ctx.device, cfg.amp, cfg.channels_last)
    G, D = prec.prepare_model(G), prec.prepare_model(D)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    opt_D = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    sched_G, sched_D = build_scheduler(opt_G, cfg.schedule), build_scheduler(opt_D, cfg.schedule)
    scalers = (prec.grad_scaler(), prec.grad_scaler())

    # --- run directory
    if run_dir is None:
        run_dir = Path(cfg.out) if cfg.out else rundir.default_run_dir(TASK, data.name)
    run_dir = Path(run_dir)
    step, epoch, batch_in_epoch = 0, 0, 0
    if resume:
        state = rundir.load_state(rundir.prepare_run_dir(run_dir, resume=True) / rundir.STATE_FILE)
        if state.get("task") != TASK:
            raise I2IError(f"{run_dir}: state is not a {TASK} run")
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_G.load_state_dict(state["opt_G"])
        opt_D.load_state_dict(state["opt_D"])
        sched_G.load_state_dict(state["sched_G"])
        sched_D.load_state_dict(state["sched_D"])
        scalers[0].load_state_dict(state["scaler_G"])
        scalers[1].load_state_dict(state["scaler_D"])
        step, epoch, batch_in_epoch = int(state["step"]), int(state["epoch"]), int(state["batch_in_epoch"])
        rngs = state["rng"]
        if len(rngs) == ctx.world_size:
            set_rng_state(rngs[ctx.rank])
        else:
            log_out.print(
                f"[yellow]warning:[/] state saved by {len(rngs)} processes, resuming with {ctx.world_size}: "
                "RNG streams are reseeded, so the continuation is not bit-exact"
            )
            seed_everything(cfg.seed + 7919 * step + ctx.rank)
    elif ctx.is_main:
        rundir.prepare_run_dir(run_dir, resume=False)
        rundir.write_json(
            run_dir / rundir.CONFIG_FILE,
            {
                "task": TASK,
                "config": cfg.to_dict(),
                "data_path": str(data_dir.resolve()),
                "data_name": data.name,
                "domains": list(data.domains),
                "world_size": ctx.world_size,
            },
        )
    log = rundir.JsonlLog(run_dir / rundir.LOG_FILE, enabled=ctx.is_main)
    if resume:
        log.truncate_after(step)
    if ctx.is_main:
        verb = "resuming" if resume else "writing"
        log_out.print(
            f"{TASK}: {verb} run in [bold]{run_dir}[/] (data {data_dir}, {len(data.train)} train images)"
        )

    Gw, Dw = wrap_ddp(G, ctx), wrap_ddp(D, ctx)
    loader, sampler = make_loader(data.train, cfg.batch_size, cfg.seed, cfg.workers, ctx)
    steps_per_epoch = len(sampler)
    total_epochs = cfg.schedule.total_epochs
    total_steps = total_epochs * steps_per_epoch
    if cfg.max_steps is not None:
        total_steps = min(total_steps, cfg.max_steps)
    sample_set = data.val if data.val is not None else _eval_view(data.train, cfg, multiple)
    samples = fixed_batch(sample_set, cfg.n_samples)

    def header_recipe() -> dict[str, Any]:
        return {**cfg.to_dict(), "data_name": data.name, "step": step, "epoch": epoch}

    def release(path: Path) -> Path:
        arch = cfg.generator_arch()
        header = checkpoint.make_header(
            arch,
            unwrap(G),
            task=TASK,
            direction=cfg.direction,
            name=f"{data.name}_{data.domains[0]}2{data.domains[1]}",
            domains=data.domains,
            recipe=header_recipe(),
        )
        return checkpoint.save(path, unwrap(G), header)

    def save_resumable() -> None:
        rngs = gather_objects(rng_state(), ctx)
        if not ctx.is_main:
            return
        rundir.save_state(
            run_dir / rundir.STATE_FILE,
            {
                "task": TASK,
                "state_version": STATE_VERSION,
                "step": step,
                "epoch": epoch,
                "batch_in_epoch": batch_in_epoch,
                "G": module_state(unwrap(G)),
                "D": module_state(unwrap(D)),
                "opt_G": opt_G.state_dict(),
                "opt_D": opt_D.state_dict(),
                "sched_G": sched_G.state_dict(),
                "sched_D": sched_D.state_dict(),
                "scaler_G": scalers[0].state_dict(),
                "scaler_D": scalers[1].state_dict(),
                "rng": rngs,
            },
        )

    def write_samples() -> None:
        if not ctx.is_main:
            return
        Gi = inference_copy(unwrap(G))
        outputs = sample_outputs(Gi, samples, prec)
        rows = [[samples["A"][i], outputs[i], samples["B"][i]] for i in range(outputs.shape[0])]
        labels = [f"input ({data.domains[0]})", f"output step {step}", f"target ({data.domains[1]})"]
        save_grid(run_dir / rundir.SAMPLES_DIR / f"step_{step:07d}.png", rows, labels)
        warning = collapse_warning(outputs, samples["B"]) if step >= COLLAPSE_CHECK_AFTER else None
        if warning:
            warn(warning)

    def run_validation() -> dict[str, float] | None:
        if not ctx.is_main or data.val is None:
            return None
        result = validate(inference_copy(unwrap(G)), data.val, prec, cfg.val_images)
        log.write("val", step=step, epoch=epoch, **result)
        log_out.print(
            f"val epoch {epoch} step {step}: L1 {result['val_L1']:.4f} PSNR {result['val_PSNR']:.2f} dB "
            f"SSIM {result['val_SSIM']:.4f} ({result['val_images']} images)"
        )
        return result

    probe = None
    if cfg.eval_every and ctx.is_main:
        if data.val is None:
            raise I2IError(f"{data_dir}: --eval-every needs a val/ or test/ split to hold images back from")
        from i2i.eval.probes import PairedProbe

        probe = PairedProbe(data.val, cfg.eval_images)

    def run_probe() -> None:
        """Paired metrics on the fixed held-back subset -> an ``eval`` record and the eval curves."""
        if probe is None:
            return
        from i2i.eval.probes import EVAL_CURVES_FILE, PAIRED_KEYS

        result = probe(inference_copy(unwrap(G)), prec.prepare_input)
        log.write("eval", step=step, epoch=epoch, eval_images=len(probe), **result)
        records = [r for r in log.records if r.get("kind") == "eval"]
        plot_curves(
            run_dir / EVAL_CURVES_FILE,
            records,
            PAIRED_KEYS,
            title=f"{TASK} {data.name} eval ({len(probe)} val images)",
        )

    def warn(message: str) -> None:
        log.write("warning", step=step, epoch=epoch, message=message)
        log_out.print(f"[yellow]warning:[/] {message}", soft_wrap=True)

    def draw_curves() -> None:
        if ctx.is_main:
            train_records = [r for r in log.records if r.get("kind") == "train"]
            plot_curves(
                run_dir / rundir.CURVES_FILE,
                train_records,
                ("G_GAN", "G_L1", "D", "D_real", "D_fake", "acc_real", "acc_fake", "lr"),
                title=f"{TASK} {data.name} {data.domains[0]}->{data.domains[1]}",
            )

    monitor = DominanceMonitor()
    means = RunningMeans()
    latest: dict[str, float] = {}
    last_val: dict[str, float] | None = None
    stopped = "done"
    t_log = time.perf_counter()
    if not resume:
        log.write(
            "event",
            step=0,
            epoch=0,
            message="start",
            steps_per_epoch=steps_per_epoch,
            world_size=ctx.world_size,
        )
        write_samples()

    with (
        StopControl(cfg.max_minutes) as stop,
        TrainProgress(
            log_out, total_steps, step, total_epochs, enabled=ctx.is_main, max_minutes=cfg.max_minutes
        ) as bar,
    ):
        while epoch < total_epochs and stopped == "done":
            if step >= total_steps:
                stopped = "max_steps"
                break
            data.train.set_epoch(epoch)
            sampler.set_epoch(epoch, batch_in_epoch)
            Gw.train()
            Dw.train()
            for batch in loader:
                real_A, real_B = prec.prepare_input(batch["A"]), prec.prepare_input(batch["B"])
                latest = train_step(Gw, Dw, opt_G, opt_D, scalers, real_A, real_B, cfg, prec)
                nan_guard(latest)
                step += 1
                batch_in_epoch += 1
                means.add(latest)
                message = monitor.update(latest["D"], latest["acc_real"], latest["acc_fake"])
                if message and ctx.is_main:
                    warn(message)
                bar.update(step, epoch, {k: latest[k] for k in ("G_GAN", "G_L1", "D")})
                if step % cfg.log_every == 0:
                    now = time.perf_counter()
                    record = all_reduce_mean(means.means(), ctx)
                    log.write(
                        "train",
                        step=step,
                        epoch=epoch,
                        lr=current_lr(opt_G),
                        step_time=(now - t_log) / max(1, means.count),
                        **record,
                    )
                    means.reset()
                    t_log = now
                    draw_curves()
                if step % cfg.sample_every == 0:
                    write_samples()
                if cfg.eval_every and step % cfg.eval_every == 0:
                    run_probe()
                if step % cfg.state_every == 0:
                    save_resumable()
                want_stop = all_reduce_max(float(stop.should_stop or step >= total_steps), ctx)
                if want_stop:
                    stopped = (
                        "interrupted" if stop.interrupted else "time" if stop.out_of_time else "max_steps"
                    )
                    break
            if stopped != "done":
                break
            # --- end of epoch: validation, schedules, release checkpoint
            if (epoch + 1) % cfg.val_every == 0:
                last_val = run_validation()
            metric = None
            if cfg.lr_policy == "plateau":  # rank 0 decides (it holds the validation result)
                local = _plateau_metric(last_val, G, samples, prec) if ctx.is_main else 0.0
                metric = all_reduce_max(local, ctx)
            step_scheduler(sched_G, metric)
            step_scheduler(sched_D, metric)
            epoch += 1
            batch_in_epoch = 0
            if ctx.is_main and epoch % cfg.save_every == 0:
                release(run_dir / rundir.CHECKPOINTS_DIR / f"epoch_{epoch:03d}_generator.pt")
            save_resumable()

    # --- the end: resumable state first (nothing below touches the RNG), then the release artefacts
    save_resumable()
    final: Path | None = None
    if ctx.is_main:
        if means.count:
            record = means.means()
            log.write("train", step=step, epoch=epoch, lr=current_lr(opt_G), **record)
        final = release(run_dir / "generator.pt")
        write_samples()
        if stopped != "interrupted":
            last_val = run_validation() or last_val
        draw_curves()
        log.write("event", step=step, epoch=epoch, message=f"stopped: {stopped}")
        log_out.print(
            f"{TASK}: {stopped} at step {step} (epoch {epoch}); checkpoint {final}; "
            f"resume with `i2i train pix2pix --resume {run_dir}`"
        )
    barrier(ctx)
    return TrainResult(run_dir, step, epoch, stopped, final, latest, last_val, unwrap(G))


def _eval_view(train_set: Any, cfg: Pix2PixConfig, multiple: int) -> Any:
    """The training set without jitter (for sample grids when there is no validation split)."""
    import copy

    from i2i.data.transforms import TransformSpec

    view = copy.copy(train_set)
    view.train = False
    view.spec = TransformSpec(cfg.load_size, cfg.crop_size, False, cfg.preprocess, pad_multiple=multiple)  # type: ignore[arg-type]
    return view


@torch.no_grad()
def _plateau_metric(
    last_val: dict[str, float] | None, G: nn.Module, samples: dict[str, torch.Tensor], prec: Precision
) -> float:
    """Lower-is-better metric for the plateau policy: validation L1, else L1 on the fixed sample batch."""
    if last_val is not None:
        return float(last_val["val_L1"])
    outputs = sample_outputs(inference_copy(unwrap(G)), samples, prec)
    return float(metrics.l1((outputs + 1) / 2, (samples["B"] + 1) / 2))
