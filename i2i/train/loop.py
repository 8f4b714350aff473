"""The training loop every recipe runs on, readable top to bottom in :func:`train`.

The loop owns everything that is not the method: distributed setup, seeding, the run folder, exact
resume (:mod:`i2i.train.run_state`), the log, curves, sample grids, probes and checkpoints
(:mod:`i2i.train.outputs`), the progress bar, stopping (Ctrl-C, ``--max-minutes``, ``--max-steps``), the
divergence guard, ``--ema`` and the run-start gradient check (:mod:`i2i.train.gradcheck`). A recipe
(:class:`i2i.train.recipe.Recipe`) owns its networks, data, step, sample rows and release artefacts.

Losses stay on the device until a log step, when one sync reads every pending step's values (recipe
monitors see them then); the only other reads are at points that save something (state, snapshots, epoch
ends), which the divergence guard checks first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from torch import nn

from i2i.amp import Precision
from i2i.errors import I2IError
from i2i.progress import StopControl, TrainProgress
from i2i.train import gradcheck, rundir
from i2i.train.batches import make_loader
from i2i.train.config import RunConfig
from i2i.train.distributed import all_reduce_max, barrier, setup_distributed, wrap_ddp
from i2i.train.ema import EMA
from i2i.train.guard import DivergenceGuard
from i2i.train.outputs import RunOutputs
from i2i.train.recipe import Env, Recipe
from i2i.train.rng import seed_everything
from i2i.train.run_state import RunState, changed_options, warm_start
from i2i.train.running_losses import RunningLosses
from i2i.train.schedules import build_scheduler, current_lr, step_scheduler

C = TypeVar("C", bound=RunConfig)


class Diverged(I2IError):
    """The divergence guard stopped the run; ``last.pt`` and the release checkpoints are the last good."""


@dataclass(frozen=True)
class TrainResult:
    """How a run ended. ``stopped``: ``done`` | ``max_steps`` | ``time`` | ``interrupted``.

    ``artefacts``: release checkpoints by name (rank 0 only; empty elsewhere). ``losses``: the last step's
    values. ``generator``: the module the (first) release checkpoint holds (the EMA copy under ``--ema``,
    else the trained network, unwrapped, on the training device); every rank has one.
    """

    run_dir: Path
    step: int
    epoch: int
    stopped: str
    artefacts: dict[str, Path]
    losses: dict[str, float]
    val: dict[str, float] | None = None
    generator: nn.Module | None = None

    @property
    def checkpoint(self) -> Path | None:
        return next(iter(self.artefacts.values()), None)

    @property
    def checkpoints(self) -> tuple[Path, ...] | None:
        return tuple(self.artefacts.values()) or None


def load_config(config_class: type[C], task: str, run_dir: Path, **overrides: Any) -> C:
    """The config a run was started with (``run_dir/config.json``) with ``overrides`` applied."""
    data = rundir.read_config(run_dir)
    if data.get("task", task) != task:
        raise I2IError(f"{run_dir}: is a {data.get('task')!r} run, not {task}")
    return replace(config_class.from_dict(data.get("config", data)), **overrides)


def train(
    recipe_class: type[Recipe[C]],
    cfg: C,
    *,
    run_dir: Path | None = None,
    resume: bool = False,
    console: Console | None = None,
) -> TrainResult:
    """Train ``recipe_class`` as ``cfg`` says; returns how it ended, raises :class:`Diverged`.

    ``run_dir``: where to write (default ``cfg.out``, else ``runs/<task>-<data>-<timestamp>``).
    ``resume=True`` continues the run in ``run_dir`` from its ``last.pt`` exactly: same step, learning
    rates, RNG streams and data order. Under torchrun every process calls this; only rank 0 writes.
    """
    # -- where this process runs, and the recipe's networks, optimizers and data
    console = console or Console(stderr=True, highlight=False)
    ctx = setup_distributed(cfg.device)
    out = console if ctx.is_main else Console(quiet=True)
    seed_everything(cfg.seed + ctx.rank)
    env = Env(cfg, ctx, Precision(ctx.device, cfg.amp, cfg.channels_last), out)
    recipe = recipe_class(cfg, env)
    recipe.build()
    warm = warm_start(recipe, Path(cfg.init_from), out) if cfg.init_from and not resume else None
    if len(recipe.train_set) < ctx.world_size:
        raise I2IError(f"{len(recipe.train_set)} training images cannot feed {ctx.world_size} processes")

    # -- around them: lr schedules, loss scalers, EMA copies; then the run's state, new or from last.pt
    spec = recipe.schedule()
    schedulers = {}
    for name, opt in recipe.optimizers.items():
        recipe.scalers[name] = env.prec.grad_scaler()
        if spec is not None:
            schedulers[name] = build_scheduler(opt, spec)
    if cfg.ema is not None:
        env.ema = {name: EMA(recipe.modules[name], cfg.ema) for name in recipe.ema_modules}
    run_dir = Path(run_dir or cfg.out or rundir.default_run_dir(recipe.task, recipe.data_name))
    outputs = RunOutputs(run_dir, recipe)
    guard = DivergenceGuard(cfg.diverge_factor, recipe.guard_keys)
    state = RunState(recipe, schedulers, spec, guard, outputs.snapshots)
    changed = changed_options(recipe, run_dir) if resume else {}
    if resume:
        state.restore(run_dir, changed)
    loader, sampler = make_loader(recipe.train_set, cfg.batch_size, cfg.seed, cfg.workers, ctx)

    # -- the gradient check (it may change env.prec), then the run folder and the DDP wrappers
    asked = env.prec
    checked = []
    if cfg.grad_check and env.epoch < recipe.epochs():
        checked = gradcheck.run_start(recipe, sampler, state.batch_in_epoch)
    outputs.open(resume, changed)
    outputs.started(resume, checked, asked)
    recipe.nets = recipe.wrap(lambda module: wrap_ddp(module, ctx))

    def seen(values: dict[str, float]) -> None:
        env.last_losses = values
        recipe.monitor(values)

    losses = RunningLosses(ctx, seen)
    run = _Bookkeeping(env, recipe, state, outputs, losses)

    total_epochs = recipe.epochs()
    schedule_steps = total_epochs * len(sampler)
    total_steps = schedule_steps if cfg.max_steps is None else min(schedule_steps, cfg.max_steps)
    if not resume:
        outputs.event("start", steps_per_epoch=len(sampler), world_size=ctx.world_size)
        if warm is not None:
            outputs.event(f"weights from {cfg.init_from}", source_step=warm[0], changed=warm[1])
        outputs.samples()
        run.save_state()  # a good state to come back to even if the first steps diverge

    # -- the loop: epochs of steps until the schedule is done or something stops it
    stopped: str | None = None
    progress = TrainProgress(
        out, total_steps, env.step, total_epochs, enabled=ctx.is_main, max_minutes=cfg.max_minutes
    )
    with StopControl(cfg.max_minutes) as stop, progress as bar:
        while env.epoch < total_epochs and stopped is None:
            if env.step >= total_steps:
                stopped = "done" if env.step >= schedule_steps else "max_steps"
                break
            recipe.train_set.set_epoch(env.epoch)
            sampler.set_epoch(env.epoch, state.batch_in_epoch)
            for net in recipe.nets.values():
                net.train()
            for batch in loader:
                losses.add(recipe.train_step(batch))
                for name, ema in env.ema.items():
                    ema.update(recipe.modules[name])
                env.step += 1
                state.batch_in_epoch += 1
                run.after_step()
                shown = {k: v for k, v in losses.latest.items() if k in recipe.progress_keys}
                bar.update(env.step, env.epoch, shown)
                if all_reduce_max(float(stop.should_stop or env.step >= total_steps), ctx):
                    stopped = _stop_reason(stop, schedule_done=env.step >= schedule_steps)
                    break
            if stopped is None:
                run.end_epoch()
    stopped = stopped or "done"

    # -- the end: resumable state first (nothing after it touches the RNG), then the release artefacts
    run.save_state()
    artefacts: dict[str, Path] = {}
    val = None
    if ctx.is_main:
        if losses.count:
            lr = current_lr(next(iter(recipe.optimizers.values())))
            outputs.write("train", lr=lr, **losses.means())
        artefacts = outputs.release()
        outputs.samples()
        val = recipe.finish(stopped)
        outputs.curves()
        outputs.event(f"stopped: {stopped}")
        names = " and ".join(str(p) for p in artefacts.values())
        out.print(
            f"{recipe.task}: {stopped} at step {env.step} (epoch {env.epoch}); checkpoint {names}; "
            f"resume with --resume {run_dir}",
            soft_wrap=True,
        )
    barrier(ctx)
    generator = recipe.release_module(recipe.ema_modules[0])
    return TrainResult(run_dir, env.step, env.epoch, stopped, artefacts, losses.latest, val, generator)


def _stop_reason(stop: StopControl, schedule_done: bool) -> str:
    """Why the loop stopped: ``interrupted``, ``time``, ``done`` (the whole schedule) or ``max_steps``."""
    if stop.interrupted or stop.out_of_time:
        return "interrupted" if stop.interrupted else "time"
    return "done" if schedule_done else "max_steps"


class _Bookkeeping:
    """What the loop does around the steps, at its cadence: log records checked by the divergence guard,
    samples, probes, snapshots, epoch ends and ``last.pt``."""

    def __init__(
        self,
        env: Env,
        recipe: Recipe[Any],
        state: RunState,
        outputs: RunOutputs,
        losses: RunningLosses,
    ) -> None:
        self.env, self.cfg, self.recipe = env, env.cfg, recipe
        self.state, self.outputs, self.losses = state, outputs, losses
        self.t_log = time.perf_counter()

    def after_step(self) -> None:
        """What happens after optimizer step ``env.step``, at its cadence."""
        cfg, step = self.cfg, self.env.step
        if step % cfg.log_every == 0:
            self.log_train()
        if step % cfg.sample_every == 0:
            self.outputs.samples()
        probed = None
        if getattr(cfg, "eval_every", None) and step % cfg.eval_every == 0:  # type: ignore[attr-defined]
            probed = self.outputs.probe()
        if cfg.snapshot_every and step % cfg.snapshot_every == 0:
            self.check_healthy()
            self.outputs.snapshot(probed)
        if step % cfg.state_every == 0:
            self.save_state()

    def end_epoch(self) -> None:
        """The recipe's epoch end (validation), one lr step, the next epoch; then ``last.pt``."""
        self.read_losses()
        metric = self.recipe.end_epoch()
        self.outputs.flush_warnings()
        spec = self.state.spec
        if spec is not None:
            metric = all_reduce_max(metric, self.env.ctx) if spec.policy == "plateau" else None
            for scheduler in self.state.schedulers.values():
                step_scheduler(scheduler, metric)
        self.env.epoch += 1
        self.state.batch_in_epoch = 0
        self.save_state()

    def read_losses(self) -> None:
        self.losses.read()
        self.outputs.flush_warnings()

    def log_train(self) -> None:
        """A ``train`` record of the means since the last one (all ranks), checked by the guard."""
        self.read_losses()
        now = time.perf_counter()
        record = self.losses.mean_over_ranks()
        self.stop_if_diverged(self.state.guard.check(record))
        step_time = (now - self.t_log) / max(1, self.losses.count)
        lr = current_lr(next(iter(self.recipe.optimizers.values())))
        self.outputs.write("train", lr=lr, step_time=step_time, **record)
        self.losses.reset()
        self.t_log = now
        self.outputs.curves()

    def check_healthy(self) -> None:
        """Before anything is saved: the losses since the last record pass the guard, on every rank."""
        self.read_losses()
        self.stop_if_diverged(self.state.guard.check(self.losses.mean_over_ranks(), remember=False))

    def save_state(self) -> None:
        """``last.pt``: everything a resumed run needs to continue bit-identically (rank 0 writes)."""
        self.check_healthy()
        self.state.save(self.outputs.run_dir / rundir.STATE_FILE)

    def stop_if_diverged(self, reason: str | None) -> None:
        if reason is None:
            return
        step, good, run_dir = self.env.step, self.state.saved_step, self.outputs.run_dir
        self.outputs.event(f"diverged: {reason}")
        raise Diverged(
            f"training diverged at step {step}: {reason}. Stopped; kept the last good state (step {good}, "
            f"{run_dir / rundir.STATE_FILE}) and release checkpoints. Continue from it with "
            f"`--resume {run_dir}` (with a larger --diverge-factor), or start again with a lower --lr"
        )
