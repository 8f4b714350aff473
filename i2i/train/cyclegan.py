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

Entry point: :func:`train` with a :class:`CycleGANConfig`; ``i2i train cyclegan`` builds the config.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import torch
from rich.console import Console
from torch import nn

from i2i import checkpoint
from i2i.config import ArchSpec
from i2i.errors import I2IError
from i2i.losses import discriminator_loss, generator_gan_loss, gradient_penalty, l1_loss
from i2i.nn import build_discriminator, build_generator, size_multiple
from i2i.train import rundir
from i2i.train.config import TrainConfig, require
from i2i.train.image_pool import ImagePool
from i2i.train.loop import (
    RunningMeans,
    fixed_batch,
    inference_copy,
    make_loader,
    module_state,
    set_requires_grad,
)
from i2i.train.pix2pix import nan_guard
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

TASK = "cyclegan"
STATE_VERSION = 1
LOSS_KEYS = ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "G", "D_A", "D_B")


@dataclass(frozen=True)
class CycleGANConfig(TrainConfig):
    """Everything a CycleGAN run needs. Defaults reproduce the paper (REFERENCE §4); the shared options
    are :class:`~i2i.train.config.TrainConfig`'s. ``direction`` AtoB trains the dataset's A -> B as G;
    BtoA swaps the roles of the two folders."""

    discriminator_channels: ClassVar[int] = 3

    netG: str = "resnet_9blocks"
    norm: str = "instance"
    dropout: bool = False
    gan_mode: str = "lsgan"
    lambda_A: float = 10.0
    lambda_B: float = 10.0
    lambda_identity: float = 0.5
    pool_size: int = 50
    serial_batches: bool = False
    n_samples: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self, ("n_samples",), 1)
        require(self, ("lambda_A", "lambda_B", "lambda_identity", "pool_size"), 0)

    def generator_arch(self) -> ArchSpec:
        kwargs = {
            "in_channels": 3,
            "out_channels": 3,
            "ngf": self.ngf,
            "norm": self.norm,
            "use_dropout": self.dropout,
        }
        return ArchSpec(self.netG, kwargs)


@dataclass(frozen=True)
class TrainResult:
    """How a run ended. ``stopped``: done | max_steps | time | interrupted. ``checkpoints``: A->B, B->A."""

    run_dir: Path
    step: int
    epoch: int
    stopped: str
    checkpoints: tuple[Path, Path] | None
    losses: dict[str, float]


@dataclass
class Nets:
    """The four networks (possibly DDP-wrapped) of a run."""

    G_A: nn.Module
    G_B: nn.Module
    D_A: nn.Module
    D_B: nn.Module

    def train(self) -> None:
        for net in (self.G_A, self.G_B, self.D_A, self.D_B):
            net.train()


# ----------------------------------------------------------------------------------------------- data
def domain_names(data_name: str, direction: str) -> tuple[str, str]:
    """``apple2orange`` -> ("apple", "orange"); other names -> ("A", "B"); BtoA swaps them."""
    head, sep, tail = data_name.partition("2")
    names = (head, tail) if sep and head and tail and "2" not in tail else ("A", "B")
    return names if direction == "AtoB" else (names[1], names[0])


def build_unpaired_data(cfg: CycleGANConfig, data_dir: Path, multiple: int) -> tuple[Any, Any]:
    """(training set with jitter and random B per A, fixed-sample set without jitter).

    Samples come from ``testA``/``testB`` when present, else from the training folders without jitter.
    """
    from i2i.data.datasets import UnalignedDataset
    from i2i.data.transforms import TransformSpec

    train_spec = TransformSpec(cfg.load_size, cfg.crop_size, cfg.flip, cfg.preprocess)  # type: ignore[arg-type]
    eval_spec = TransformSpec(cfg.load_size, cfg.crop_size, False, cfg.preprocess, pad_multiple=multiple)  # type: ignore[arg-type]
    train = UnalignedDataset(
        data_dir,
        phase="train",
        direction=cfg.direction,
        spec=train_spec,
        train=True,
        serial_batches=cfg.serial_batches,
        seed=cfg.seed,
    )
    phase = "test" if (data_dir / "testA").is_dir() and (data_dir / "testB").is_dir() else "train"
    samples = UnalignedDataset(
        data_dir,
        phase=phase,
        direction=cfg.direction,
        spec=eval_spec,
        train=False,
        serial_batches=True,
        seed=0,
    )
    return train, samples


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
    loss terms as 0-d tensors (no host sync here; the caller reads them when it logs).
    """
    scaler_G, scaler_D = scalers
    pool_A, pool_B = pools
    set_requires_grad([nets.D_A, nets.D_B], False)
    opt_G.zero_grad(set_to_none=True)
    with prec.autocast():
        loss_G, terms, fakes = generator_losses(nets, unwrap(nets.D_A), unwrap(nets.D_B), real_A, real_B, cfg)
    scaler_G.scale(loss_G).backward()
    scaler_G.step(opt_G)
    scaler_G.update()

    set_requires_grad([nets.D_A, nets.D_B], True)
    opt_D.zero_grad(set_to_none=True)
    with prec.autocast():
        loss_D_A = _discriminator_loss(nets.D_A, real_A, pool_A.query(fakes["fake_A"]), cfg)
        loss_D_B = _discriminator_loss(nets.D_B, real_B, pool_B.query(fakes["fake_B"]), cfg)
    scaler_D.scale(loss_D_A + loss_D_B).backward()
    scaler_D.step(opt_D)
    scaler_D.update()
    return {
        **{k: v.detach() for k, v in terms.items()},
        "G": loss_G.detach(),
        "D_A": loss_D_A.detach(),
        "D_B": loss_D_B.detach(),
    }


@torch.no_grad()
def sample_rows(
    G_A: nn.Module, G_B: nn.Module, batch: dict[str, torch.Tensor], prec: Precision
) -> list[list[torch.Tensor]]:
    """Grid rows: real a, G(a), F(G(a)), F(a) (identity); then each b with G and F swapped."""

    def run(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return net(prec.prepare_input(x)).float().cpu()

    rows = []
    for real, fwd, back in ((batch["A"], G_A, G_B), (batch["B"], G_B, G_A)):
        translated = run(fwd, real)
        reconstructed = run(back, translated)
        identity = run(back, real)
        rows += [[real[i], translated[i], reconstructed[i], identity[i]] for i in range(real.shape[0])]
    return rows


# ----------------------------------------------------------------------------------------------- train
def load_config(run_dir: Path, **overrides: Any) -> CycleGANConfig:
    """The config a run was started with, with bounded-run/runtime ``overrides`` applied."""
    data = rundir.read_config(run_dir)
    if data.get("task", TASK) != TASK:
        raise I2IError(f"{run_dir}: is a {data.get('task')!r} run, not {TASK}")
    return replace(CycleGANConfig.from_dict(data.get("config", data)), **overrides)


def _resolve_data(cfg: CycleGANConfig, ctx: DistContext) -> Path:
    from i2i.data.resolve import resolve_dataset

    path = resolve_dataset(cfg.data, cfg.data_root, fetch=True, progress=True) if ctx.is_main else None
    barrier(ctx)
    return path if path is not None else resolve_dataset(cfg.data, cfg.data_root, fetch=False)


def train(
    cfg: CycleGANConfig, *, run_dir: Path | None = None, resume: bool = False, console: Console | None = None
) -> TrainResult:
    """Train CycleGAN as ``cfg`` says; returns how it ended.

    ``resume=True`` continues the run in ``run_dir`` from its ``last.pt`` exactly (step, learning rates,
    image pools, RNG streams, data order). Under torchrun each process calls this; only rank 0 writes.
    """
    from i2i.data.catalog import CATALOG

    console = console or Console(stderr=True, highlight=False)
    ctx = setup_distributed(cfg.device)
    log_out = console if ctx.is_main else Console(quiet=True)
    seed_everything(cfg.seed + ctx.rank)

    data_dir = _resolve_data(cfg, ctx)
    data_name = cfg.data if cfg.data in CATALOG else data_dir.name
    domains = domain_names(data_name, cfg.direction)
    g_arch, d_arch = cfg.generator_arch(), cfg.discriminator_arch()
    init = {"init": cfg.init, "init_gain": cfg.init_gain}
    G_A, G_B = (build_generator(g_arch.name, **init, **g_arch.kwargs) for _ in range(2))
    D_A, D_B = (build_discriminator(d_arch.name, **init, **d_arch.kwargs) for _ in range(2))
    multiple = size_multiple(G_A)
    if cfg.crop_size % multiple:
        raise I2IError(f"crop size {cfg.crop_size} is not a multiple of {multiple}, which {cfg.netG} needs")
    train_set, sample_set = build_unpaired_data(cfg, data_dir, multiple)
    if len(train_set) < ctx.world_size:
        raise I2IError(f"{data_dir}: {len(train_set)} training images cannot feed {ctx.world_size} processes")

    prec = Precision(ctx.device, cfg.amp, cfg.channels_last)
    G_A, G_B, D_A, D_B = (prec.prepare_model(m) for m in (G_A, G_B, D_A, D_B))
    betas = (cfg.beta1, cfg.beta2)
    opt_G = torch.optim.Adam(itertools.chain(G_A.parameters(), G_B.parameters()), lr=cfg.lr, betas=betas)
    opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=cfg.lr, betas=betas)
    sched_G, sched_D = build_scheduler(opt_G, cfg.schedule), build_scheduler(opt_D, cfg.schedule)
    scalers = (prec.grad_scaler(), prec.grad_scaler())
    pool_rng = torch.Generator().manual_seed(cfg.seed * 1000 + ctx.rank)
    pools = (ImagePool(cfg.pool_size, pool_rng), ImagePool(cfg.pool_size, pool_rng))

    run_dir = Path(run_dir or cfg.out or rundir.default_run_dir(TASK, data_name))
    step, epoch, batch_in_epoch = 0, 0, 0
    if resume:
        state = rundir.load_state(rundir.prepare_run_dir(run_dir, resume=True) / rundir.STATE_FILE)
        if state.get("task") != TASK:
            raise I2IError(f"{run_dir}: state is not a {TASK} run")
        for name, module in (("G_A", G_A), ("G_B", G_B), ("D_A", D_A), ("D_B", D_B)):
            module.load_state_dict(state[name])
        for name, obj in (("opt_G", opt_G), ("opt_D", opt_D), ("sched_G", sched_G), ("sched_D", sched_D)):
            obj.load_state_dict(state[name])
        scalers[0].load_state_dict(state["scaler_G"])
        scalers[1].load_state_dict(state["scaler_D"])
        step, epoch, batch_in_epoch = int(state["step"]), int(state["epoch"]), int(state["batch_in_epoch"])
        per_rank = state["per_rank"]
        if len(per_rank) != ctx.world_size:
            raise I2IError(f"{run_dir}: saved by {len(per_rank)} processes; resume with the same number")
        mine = per_rank[ctx.rank]
        set_rng_state(mine["rng"])
        pool_rng.set_state(mine["pool_rng"])
        pools[0].load_state_dict(mine["pool_A"], ctx.device)
        pools[1].load_state_dict(mine["pool_B"], ctx.device)
    elif ctx.is_main:
        rundir.prepare_run_dir(run_dir, resume=False)
        rundir.write_json(
            run_dir / rundir.CONFIG_FILE,
            {
                "task": TASK,
                "config": cfg.to_dict(),
                "data_path": str(data_dir.resolve()),
                "data_name": data_name,
                "domains": list(domains),
                "world_size": ctx.world_size,
            },
        )
    log = rundir.JsonlLog(run_dir / rundir.LOG_FILE, enabled=ctx.is_main)
    if resume:
        log.truncate_after(step)
    log_out.print(
        f"{TASK}: {'resuming' if resume else 'writing'} run in [bold]{run_dir}[/] ({len(train_set.paths_a)} "
        f"{domains[0]} and {len(train_set.paths_b)} {domains[1]} images from {data_dir})"
    )

    nets = Nets(*(wrap_ddp(m, ctx) for m in (G_A, G_B, D_A, D_B)))
    loader, sampler = make_loader(train_set, cfg.batch_size, cfg.seed, cfg.workers, ctx)
    steps_per_epoch = len(sampler)
    total_epochs = cfg.schedule.total_epochs
    total_steps = total_epochs * steps_per_epoch
    if cfg.max_steps is not None:
        total_steps = min(total_steps, cfg.max_steps)
    samples = fixed_batch(sample_set, cfg.n_samples)

    def release(tag: str) -> tuple[Path, Path]:
        folder = run_dir if tag == "final" else run_dir / rundir.CHECKPOINTS_DIR
        recipe = {**cfg.to_dict(), "data_name": data_name, "step": step, "epoch": epoch}
        paths = []
        for module, direction, (src, dst) in (
            (G_A, "AtoB", domains),
            (G_B, "BtoA", (domains[1], domains[0])),
        ):
            header = checkpoint.make_header(
                g_arch,
                module,
                task=TASK,
                direction=direction,
                name=f"{src}2{dst}",
                domains=(src, dst),
                recipe=recipe,
            )
            name = f"generator_{src}2{dst}.pt" if tag == "final" else f"epoch_{epoch:03d}_{src}2{dst}.pt"
            paths.append(checkpoint.save(folder / name, module, header))
        return paths[0], paths[1]

    def save_resumable() -> None:
        mine = {
            "rng": rng_state(),
            "pool_rng": pool_rng.get_state(),
            "pool_A": pools[0].state_dict(),
            "pool_B": pools[1].state_dict(),
        }
        per_rank = gather_objects(mine, ctx)
        if not ctx.is_main:
            return
        state = {
            "task": TASK,
            "state_version": STATE_VERSION,
            "step": step,
            "epoch": epoch,
            "batch_in_epoch": batch_in_epoch,
            **{name: module_state(m) for name, m in (("G_A", G_A), ("G_B", G_B), ("D_A", D_A), ("D_B", D_B))},
            "opt_G": opt_G.state_dict(),
            "opt_D": opt_D.state_dict(),
            "sched_G": sched_G.state_dict(),
            "sched_D": sched_D.state_dict(),
            "scaler_G": scalers[0].state_dict(),
            "scaler_D": scalers[1].state_dict(),
            "per_rank": per_rank,
        }
        rundir.save_state(run_dir / rundir.STATE_FILE, state)

    def write_samples() -> None:
        if ctx.is_main:
            rows = sample_rows(inference_copy(G_A), inference_copy(G_B), samples, prec)
            labels = ["real", f"translated (step {step})", "reconstructed", "identity"]
            save_grid(run_dir / rundir.SAMPLES_DIR / f"step_{step:07d}.png", rows, labels)

    def draw_curves() -> None:
        if ctx.is_main:
            records = [r for r in log.records if r.get("kind") == "train"]
            keys = ("D_A", "D_B", "G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "lr")
            plot_curves(run_dir / rundir.CURVES_FILE, records, keys, title=f"{TASK} {data_name}")

    probe = None
    if cfg.eval_every and ctx.is_main:
        from i2i.eval.inception_features import FIDInception
        from i2i.eval.probes import KIDProbe

        probe = KIDProbe(sample_set, cfg.eval_images, FIDInception(device=ctx.device))

    def run_probe() -> None:
        """KID of G_A on the fixed subset -> an ``eval`` record and the eval curves."""
        if probe is None:
            return
        from i2i.eval.probes import EVAL_CURVES_FILE, KID_KEYS

        result = probe(inference_copy(G_A), prec.prepare_input)
        log.write("eval", step=step, epoch=epoch, eval_images=len(probe), **result)
        records = [r for r in log.records if r.get("kind") == "eval"]
        title = f"{TASK} {data_name} {domains[0]}->{domains[1]} KID ({len(probe)} images)"
        plot_curves(run_dir / EVAL_CURVES_FILE, records, KID_KEYS, title=title)

    means = RunningMeans()
    pending: list[dict[str, torch.Tensor]] = []
    latest: dict[str, float] = {}
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

    def flush() -> None:
        """Read the pending step losses off the device (one sync per log interval, not per step)."""
        nonlocal latest
        for values in pending:
            latest = {k: float(v) for k, v in values.items()}
            nan_guard(latest)
            means.add(latest)
        pending.clear()

    with (
        StopControl(cfg.max_minutes) as stop,
        TrainProgress(log_out, total_steps, step, total_epochs, enabled=ctx.is_main) as bar,
    ):
        while epoch < total_epochs and stopped == "done":
            if step >= total_steps:
                stopped = "max_steps"
                break
            train_set.set_epoch(epoch)
            sampler.set_epoch(epoch, batch_in_epoch)
            nets.train()
            for batch in loader:
                real_A, real_B = prec.prepare_input(batch["A"]), prec.prepare_input(batch["B"])
                pending.append(train_step(nets, opt_G, opt_D, scalers, pools, real_A, real_B, cfg, prec))
                step += 1
                batch_in_epoch += 1
                if step % cfg.log_every == 0:
                    flush()
                    now = time.perf_counter()
                    record = all_reduce_mean(means.means(), ctx)
                    step_time = (now - t_log) / max(1, means.count)
                    log.write(
                        "train", step=step, epoch=epoch, lr=current_lr(opt_G), step_time=step_time, **record
                    )
                    means.reset()
                    t_log = now
                    draw_curves()
                bar.update(step, epoch, {k: latest[k] for k in ("G", "cycle_A", "D_A", "D_B") if k in latest})
                if step % cfg.sample_every == 0:
                    write_samples()
                if cfg.eval_every and step % cfg.eval_every == 0:
                    run_probe()
                if step % cfg.state_every == 0:
                    save_resumable()
                if all_reduce_max(float(stop.should_stop or step >= total_steps), ctx):
                    stopped = (
                        "interrupted" if stop.interrupted else "time" if stop.out_of_time else "max_steps"
                    )
                    break
            if stopped != "done":
                break
            # The plateau policy watches the generators' total loss (CycleGAN has no validation target).
            flush()
            metric = all_reduce_max(latest.get("G", 0.0), ctx) if cfg.lr_policy == "plateau" else None
            step_scheduler(sched_G, metric)
            step_scheduler(sched_D, metric)
            epoch += 1
            batch_in_epoch = 0
            if ctx.is_main and epoch % cfg.save_every == 0:
                release("epoch")
            save_resumable()

    save_resumable()
    flush()
    final: tuple[Path, Path] | None = None
    if ctx.is_main:
        if means.count:
            log.write("train", step=step, epoch=epoch, lr=current_lr(opt_G), **means.means())
        final = release("final")
        write_samples()
        draw_curves()
        log.write("event", step=step, epoch=epoch, message=f"stopped: {stopped}")
        log_out.print(
            f"{TASK}: {stopped} at step {step} (epoch {epoch}); checkpoints {final[0]} and {final[1]}; "
            f"resume with `i2i train cyclegan --resume {run_dir}`"
        )
    barrier(ctx)
    return TrainResult(run_dir, step, epoch, stopped, final, latest)
