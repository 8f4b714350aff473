"""The run harness: the one training loop every recipe runs on, readable top to bottom in :func:`train`.

The harness owns everything that is not the method: distributed setup, seeding, the run folder and its
``config.json``, exact resume (every named module, optimizer, scheduler, loss scaler, EMA, the recipe's
per-rank state such as image pools, the data position and every RNG), the JSONL log, loss curves, sample
grids, probes, the progress bar, stopping (Ctrl-C, ``--max-minutes``, ``--max-steps``), the divergence
guard, numbered snapshots and the release checkpoints.

A recipe (:class:`Recipe`) supplies its data and networks, a ``train_step`` that returns on-device loss
tensors, its sample rows, its curve keys and its release artefacts. Losses stay on the device until a log
step, when one sync reads every pending step's values (recipe monitors see them then); the only other
reads are at points that save something (state, snapshots, epoch ends), which the guard checks first.

Resumable state ``last.pt`` (a plain ``torch.save``; loads with ``weights_only=True``): ``task``,
``state_version``, ``step``, ``epoch``, ``batch_in_epoch``; per module ``<name>``; per optimizer
``opt_<name>``, ``sched_<name>``, ``scaler_<name>``; ``ema_<name>`` with ``--ema``; ``rng`` (one snapshot
per rank), ``per_rank`` (the recipe's per-rank state), ``guard`` and ``snapshots``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import torch
from rich.console import Console
from torch import nn

from i2i import checkpoint
from i2i.checkpoint import ModelHeader
from i2i.errors import I2IError, load_state_dict_reason
from i2i.train import gradcheck, rundir
from i2i.train.config import RunConfig
from i2i.train.ema import EMA
from i2i.train.guard import DivergenceGuard
from i2i.train.loop import RunningMeans, inference_copy, make_loader, module_state
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
    wrap_ddp,
)
from i2i.train.schedules import (
    Scheduler,
    ScheduleSpec,
    build_scheduler,
    current_lr,
    replan,
    step_scheduler,
)
from i2i.train.snapshots import Snapshots, snapshot_path
from i2i.train.visuals import plot_curves, save_grid

STATE_VERSION = 2
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


@dataclass
class Env:
    """What the harness lends a recipe: where it runs, and the run's position (read-only for recipes)."""

    cfg: RunConfig
    ctx: DistContext
    prec: Precision
    console: Console
    step: int = 0
    epoch: int = 0
    ema: dict[str, EMA] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    log: rundir.JsonlLog | None = None
    #: The last step's losses read back to the host (updated at log steps and epoch ends).
    last_losses: dict[str, float] = field(default_factory=dict)
    #: Every module placed with :meth:`place` (the gradient check switches their memory format).
    placed: list[nn.Module] = field(default_factory=list)

    def place(self, module: nn.Module) -> nn.Module:
        """``module`` on the training device (and memory format). Recipes place the networks their step
        runs through this, so a change of memory format (the gradient check's) reaches them."""
        module = self.prec.prepare_model(module)
        self.placed.append(module)
        return module

    def batch(self, x: torch.Tensor) -> torch.Tensor:
        return self.prec.prepare_input(x)

    def record(self, kind: str, values: dict[str, Any]) -> None:
        """Rank 0: append a ``kind`` record (e.g. ``val``) at the current step to train_log.jsonl."""
        if self.log is not None:
            self.log.write(kind, step=self.step, epoch=self.epoch, **values)

    def warn(self, message: str) -> None:
        """Queue a warning; the harness logs it and prints it (rank 0)."""
        self.warnings.append(message)


class Recipe(Generic[C]):
    """One training method on the harness. Subclasses set the class attributes and implement the hooks.

    ``build`` fills ``modules`` (trainable networks by name, placed with ``env.place``; their state goes
    into ``last.pt``), ``optimizers`` (by name; each gets a scheduler and a loss scaler), ``train_set``
    (a dataset with ``set_epoch``) and ``data_name``. After ``build`` the harness puts the DDP-wrapped
    networks in ``nets`` (the same as ``modules`` in a single process; see :meth:`wrap`).
    """

    task: ClassVar[str]
    config_class: ClassVar[type[RunConfig]]
    #: Networks averaged by ``--ema`` and used for samples, probes and release (the generators).
    ema_modules: ClassVar[tuple[str, ...]]
    #: Logged losses the divergence guard watches (NaN/inf in any logged value always stops).
    guard_keys: ClassVar[tuple[str, ...]]
    progress_keys: ClassVar[tuple[str, ...]]
    curve_keys: ClassVar[tuple[str, ...]]
    #: Probe key that ranks snapshots (lower is better); None: keep only the latest.
    metric_key: ClassVar[str | None] = None

    def __init__(self, cfg: C, env: Env) -> None:
        self.cfg = cfg
        self.env = env
        self.modules: dict[str, nn.Module] = {}
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        self.train_set: Any = None
        self.data_name = "data"

    # ---- required
    def build(self) -> None:
        raise NotImplementedError

    def train_step(self, batch: Any) -> dict[str, torch.Tensor]:
        """One optimisation step on a loader batch; returns 0-d loss tensors (left on the device)."""
        raise NotImplementedError

    def sample_rows(self) -> tuple[list[list[torch.Tensor]], list[str]]:
        """Grid rows of (3, H, W) tensors in [-1, 1] and column labels, from ``self.inference(...)``."""
        raise NotImplementedError

    def artefacts(self) -> dict[str, tuple[nn.Module, ModelHeader]]:
        """Release checkpoints by file stem: ``{"generator": (module, header)}`` -> ``generator.pt``."""
        raise NotImplementedError

    # ---- optional
    def epochs(self) -> int:
        return int(self.cfg.epochs)  # type: ignore[attr-defined]

    def schedule(self) -> ScheduleSpec | None:
        """The lr schedule (one step per epoch); None keeps the learning rate constant."""
        return None

    def describe(self) -> str:
        """A few words on the data for the start line."""
        return f"{len(self.train_set)} training images"

    def run_info(self) -> dict[str, Any]:
        """Extra ``config.json`` entries (resolved data path, domains...)."""
        return {}

    def monitor(self, values: dict[str, float]) -> None:
        """See every step's losses (read back at log steps, in order); warn with ``env.warn``."""

    def probe(self) -> dict[str, float] | None:
        """Quality metrics of the (EMA) generator on fixed held-out images, or None without a probe."""
        return None

    def end_epoch(self) -> float | None:
        """Called on every rank after each epoch; returns the plateau metric (lower is better)."""
        return None

    def finish(self, stopped: str) -> dict[str, float] | None:
        """Rank 0, after the release checkpoints: a last validation (its record is returned)."""
        return None

    def rank_state(self) -> dict[str, Any]:
        """This rank's own resumable state (image pools and their RNG)."""
        return {}

    def load_rank_state(self, state: dict[str, Any]) -> None:
        pass

    def wrap(self, wrap: Callable[[nn.Module], nn.Module]) -> dict[str, nn.Module]:
        """``nets``: what ``train_step`` calls, each network passed through ``wrap`` (DDP under torchrun,
        else the module itself). Default: every module. A step that calls a network other than through
        its ``forward`` (which DDP does not see) wraps a small module making those calls instead."""
        return {name: wrap(module) for name, module in self.modules.items()}

    # ---- helpers for recipes
    def inference(self, name: str) -> nn.Module:
        """An eval-mode copy of network ``name`` (its EMA under ``--ema``) for samples and probes."""
        return inference_copy(self.release_module(name))

    def release_module(self, name: str) -> nn.Module:
        """What a release checkpoint of ``name`` holds: the EMA copy, else the trained network."""
        return self.env.ema[name].module if name in self.env.ema else self.modules[name]

    def header_recipe(self) -> dict[str, Any]:
        """The ``recipe`` entry of release headers: the config plus where the run was."""
        return {
            **self.cfg.to_dict(),
            "data_name": self.data_name,
            "step": self.env.step,
            "epoch": self.env.epoch,
        }


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
    return _Run(recipe_class, cfg, console).run(run_dir, resume)


def _stop_reason(stop: StopControl, schedule_done: bool) -> str:
    """Why the loop stopped: ``interrupted``, ``time``, ``done`` (the whole schedule) or ``max_steps``."""
    if stop.interrupted or stop.out_of_time:
        return "interrupted" if stop.interrupted else "time"
    return "done" if schedule_done else "max_steps"


class _Run:
    """One call of :func:`train`: the state of the loop, with one method per thing the loop does."""

    def __init__(self, recipe_class: type[Recipe[Any]], cfg: RunConfig, console: Console | None) -> None:
        console = console or Console(stderr=True, highlight=False)
        self.cfg = cfg
        self.ctx = setup_distributed(cfg.device)
        self.out = console if self.ctx.is_main else Console(quiet=True)
        seed_everything(cfg.seed + self.ctx.rank)
        prec = Precision(self.ctx.device, cfg.amp, cfg.channels_last)
        self.env = Env(cfg, self.ctx, prec, self.out)
        self.recipe = recipe_class(cfg, self.env)
        self.task = recipe_class.task

    # ------------------------------------------------------------------------------------------ the loop
    def run(self, run_dir: Path | None, resume: bool) -> TrainResult:
        """Set up, then train epoch by epoch until done or stopped, then write the artefacts."""
        cfg, env, recipe, ctx = self.cfg, self.env, self.recipe, self.ctx
        loader, sampler = self.setup(run_dir, resume)
        total_epochs = recipe.epochs()
        schedule_steps = total_epochs * len(sampler)
        total_steps = schedule_steps if cfg.max_steps is None else min(schedule_steps, cfg.max_steps)
        if not resume:
            self.log.write("event", step=0, epoch=0, message="start", steps_per_epoch=len(sampler),
                           world_size=ctx.world_size)  # fmt: skip
            if cfg.init_from:
                self.log.write("event", step=0, epoch=0, message=f"weights from {cfg.init_from}",
                               source_step=self.warm_step, changed=self.warm_changes)  # fmt: skip
            self.samples()
            self.save_state()  # a good state to come back to even if the first steps diverge
        stopped: str | None = None
        progress = TrainProgress(
            self.out, total_steps, env.step, total_epochs, enabled=ctx.is_main, max_minutes=cfg.max_minutes
        )
        with StopControl(cfg.max_minutes) as stop, progress as bar:
            while env.epoch < total_epochs and stopped is None:
                if env.step >= total_steps:
                    stopped = "done" if env.step >= schedule_steps else "max_steps"
                    break
                recipe.train_set.set_epoch(env.epoch)
                sampler.set_epoch(env.epoch, self.batch_in_epoch)
                for net in recipe.nets.values():
                    net.train()
                for batch in loader:
                    self.pending.append(recipe.train_step(batch))
                    for name, ema in env.ema.items():
                        ema.update(recipe.modules[name])
                    env.step += 1
                    self.batch_in_epoch += 1
                    self.every_step()
                    shown = {k: v for k, v in self.latest.items() if k in recipe.progress_keys}
                    bar.update(env.step, env.epoch, shown)
                    if all_reduce_max(float(stop.should_stop or env.step >= total_steps), ctx):
                        stopped = _stop_reason(stop, schedule_done=env.step >= schedule_steps)
                        break
                if stopped is None:
                    self.end_epoch()
        return self.finish(stopped or "done")

    def setup(self, run_dir: Path | None, resume: bool) -> tuple[Any, Any]:
        """The recipe's parts, schedulers, scalers, EMA; the run folder (new, or restored from last.pt)
        and its log; DDP wrappers; the loader and its sampler."""
        cfg, env, recipe, ctx = self.cfg, self.env, self.recipe, self.ctx
        recipe.build()
        if cfg.init_from and not resume:
            self.warm_start(Path(cfg.init_from))
        if len(recipe.train_set) < ctx.world_size:
            raise I2IError(f"{len(recipe.train_set)} training images cannot feed {ctx.world_size} processes")
        self.spec = recipe.schedule()
        self.schedulers: dict[str, Scheduler] = {}
        for name, opt in recipe.optimizers.items():
            recipe.scalers[name] = env.prec.grad_scaler()
            if self.spec is not None:
                self.schedulers[name] = build_scheduler(opt, self.spec)
        if cfg.ema is not None:
            env.ema = {name: EMA(recipe.modules[name], cfg.ema) for name in recipe.ema_modules}
        self.guard = DivergenceGuard(cfg.diverge_factor, recipe.guard_keys)
        self.run_dir = Path(run_dir or cfg.out or rundir.default_run_dir(self.task, recipe.data_name))
        self.snapshots = Snapshots(self.run_dir / rundir.CHECKPOINTS_DIR, cfg.keep_snapshots)
        self.batch_in_epoch = self.saved_step = 0
        self.changed: dict[str, Any] = {}
        if resume:
            self.changed = self.changed_options()
            self.restore()
        loader, sampler = make_loader(recipe.train_set, cfg.batch_size, cfg.seed, cfg.workers, self.ctx)
        asked = env.prec
        checked = self.grad_check(sampler) if cfg.grad_check and env.epoch < recipe.epochs() else []
        if not resume and ctx.is_main:  # after the check: a run it stops leaves no folder behind
            rundir.prepare_run_dir(self.run_dir, resume=False)
            info = {"task": self.task, "config": cfg.to_dict(), **recipe.run_info()}
            rundir.write_json(self.run_dir / rundir.CONFIG_FILE, {**info, "world_size": ctx.world_size})
        self.log = env.log = rundir.JsonlLog(self.run_dir / rundir.LOG_FILE, enabled=ctx.is_main)
        if resume:
            self.log.truncate_after(env.step)
            barrier(ctx)  # every rank has read config.json (changed_options) before rank 0 rewrites it
            self.keep_changed_options()
        verb = "resuming" if resume else "writing"
        self.out.print(
            f"{self.task}: {verb} run in [bold]{self.run_dir}[/] ({recipe.describe()})", soft_wrap=True
        )
        self.log_grad_check(checked, asked)
        recipe.nets = recipe.wrap(lambda module: wrap_ddp(module, ctx))
        self.means, self.pending, self.latest = RunningMeans(), [], {}
        self.t_log = time.perf_counter()
        return loader, sampler

    def grad_check(self, sampler: Any) -> list[gradcheck.CheckResult]:
        """The run-start gradient check (:mod:`i2i.train.gradcheck`) on this rank's first batch, on the
        plain networks (no DDP; every rank checks its own batch, any failure fails all). Under ``--amp
        auto`` a failing precision falls back to one that passes; a precision asked for by name that fails
        prints the comparisons and raises :class:`gradcheck.GradCheckFailed` (before a new run's folder is
        made, and before a resumed run's log is touched)."""
        recipe, env = self.recipe, self.env
        batch = gradcheck.first_batch(recipe.train_set, sampler, env.epoch, self.batch_in_epoch)
        recipe.nets = recipe.wrap(lambda module: module)
        asked = env.prec

        def consensus(failed: bool) -> bool:
            return bool(all_reduce_max(float(failed), self.ctx))

        results, passed = gradcheck.check(recipe, batch, asked, consensus)
        if not passed:
            for result in results:
                self.out.print(result.line(), soft_wrap=True)
            raise gradcheck.failure(asked, results)
        return results

    def log_grad_check(self, results: list[gradcheck.CheckResult], asked: Precision) -> None:
        """One console line and one ``gradcheck`` record per comparison, and a warning line when ``--amp
        auto`` fell back from ``asked``."""
        env = self.env
        for result in results:
            self.log.write("gradcheck", step=env.step, epoch=env.epoch, **result.record())
            self.out.print(result.line(), soft_wrap=True)
        if env.prec != asked:
            message = (
                f"--amp auto: {asked.describe()} failed the gradient check; training in "
                f"{env.prec.describe()} instead"
            )
            self.log.write("warning", step=env.step, epoch=env.epoch, message=message)
            self.out.print(f"[yellow]warning:[/] {message}", soft_wrap=True)

    def end_epoch(self) -> None:
        """The recipe's epoch end (validation), one lr step, the next epoch; then ``last.pt``."""
        self.flush()
        metric = self.recipe.end_epoch()
        self.flush_warnings()
        if self.spec is not None:
            metric = all_reduce_max(metric, self.ctx) if self.spec.policy == "plateau" else None
            for scheduler in self.schedulers.values():
                step_scheduler(scheduler, metric)
        self.env.epoch += 1
        self.batch_in_epoch = 0
        self.save_state()

    def every_step(self) -> None:
        """What happens after optimizer step ``env.step``, at its cadence."""
        cfg, step = self.cfg, self.env.step
        if step % cfg.log_every == 0:
            self.log_train()
        if step % cfg.sample_every == 0:
            self.samples()
        probed = None
        if getattr(cfg, "eval_every", None) and step % cfg.eval_every == 0:  # type: ignore[attr-defined]
            probed = self.probe()
        if cfg.snapshot_every and step % cfg.snapshot_every == 0:
            self.snapshot(probed)
        if step % cfg.state_every == 0:
            self.save_state()

    # ------------------------------------------------------------------------------------------ losses
    def flush(self) -> None:
        """Read the pending steps' losses to the host in one sync; feed the means and recipe monitors."""
        if not self.pending:
            return
        keys = list(self.pending[-1])
        device = self.ctx.device
        table = torch.stack(
            [torch.stack([torch.as_tensor(p[k], device=device).float() for k in keys]) for p in self.pending]
        ).tolist()
        self.pending.clear()
        for row in table:
            self.latest = self.env.last_losses = dict(zip(keys, row, strict=True))
            self.means.add(self.latest)
            self.recipe.monitor(self.latest)
        self.flush_warnings()

    def log_train(self) -> None:
        """A ``train`` record of the means since the last one (all ranks), checked by the guard."""
        self.flush()
        now = time.perf_counter()
        record = all_reduce_mean(self.means.means(), self.ctx)
        reason = self.guard.check(record)
        if reason:
            self.diverged(reason)
        step_time = (now - self.t_log) / max(1, self.means.count)
        lr = current_lr(next(iter(self.recipe.optimizers.values())))
        self.log.write(
            "train", step=self.env.step, epoch=self.env.epoch, lr=lr, step_time=step_time, **record
        )
        self.means.reset()
        self.t_log = now
        self.curves()

    def check_healthy(self) -> None:
        """Before anything is saved: the losses since the last record pass the guard, on every rank."""
        self.flush()
        reason = self.guard.check(all_reduce_mean(self.means.means(), self.ctx), remember=False)
        if reason:
            self.diverged(reason)

    def diverged(self, reason: str) -> None:
        step, good = self.env.step, self.saved_step
        message = (
            f"training diverged at step {step}: {reason}. Stopped; kept the last good state (step {good}, "
            f"{self.run_dir / rundir.STATE_FILE}) and release checkpoints. Continue from it with "
            f"`--resume {self.run_dir}` (with a larger --diverge-factor), or start again with a lower --lr"
        )
        self.log.write("event", step=step, epoch=self.env.epoch, message=f"diverged: {reason}")
        raise Diverged(message)

    def flush_warnings(self) -> None:
        for message in self.env.warnings:
            if self.ctx.is_main:
                self.log.write("warning", step=self.env.step, epoch=self.env.epoch, message=message)
                self.out.print(f"[yellow]warning:[/] {message}", soft_wrap=True)
        self.env.warnings.clear()

    # ------------------------------------------------------------------------------------------ pictures
    def samples(self) -> None:
        if self.ctx.is_main:
            rows, labels = self.recipe.sample_rows()
            save_grid(self.run_dir / rundir.SAMPLES_DIR / f"step_{self.env.step:07d}.png", rows, labels)
            self.flush_warnings()

    def curves(self) -> None:
        if self.ctx.is_main:
            records = [r for r in self.log.records if r.get("kind") == "train"]
            title = f"{self.task} {self.recipe.data_name}"
            plot_curves(self.run_dir / rundir.CURVES_FILE, records, self.recipe.curve_keys, title=title)

    def probe(self) -> dict[str, float] | None:
        """Rank 0: the recipe's probe -> an ``eval`` record and eval_curves.png."""
        if not self.ctx.is_main:
            return None
        result = self.recipe.probe()
        if result is None:
            return None
        from i2i.eval.probes import EVAL_CURVES_FILE

        self.log.write("eval", step=self.env.step, epoch=self.env.epoch, **result)
        records = [r for r in self.log.records if r.get("kind") == "eval"]
        keys = [k for k in result if k != "eval_images"]
        title = f"{self.task} {self.recipe.data_name} eval"
        plot_curves(self.run_dir / EVAL_CURVES_FILE, records, keys, title=title)
        return result

    # ------------------------------------------------------------------------------------------ files
    def release(self, snapshot: bool) -> dict[str, Path]:
        """Rank 0: write the recipe's release checkpoints (numbered snapshots under checkpoints/)."""
        paths = {}
        for name, (module, header) in self.recipe.artefacts().items():
            if snapshot:
                path = snapshot_path(self.run_dir / rundir.CHECKPOINTS_DIR, self.env.step, name)
            else:
                path = self.run_dir / f"{name}.pt"
            paths[name] = checkpoint.save(path, module, header)
        return paths

    def snapshot(self, probed: dict[str, float] | None) -> None:
        self.check_healthy()
        if not self.ctx.is_main:
            return
        key = self.recipe.metric_key
        if key is not None and probed is None:
            probed = self.probe()
        score = None if key is None or probed is None else probed.get(key)
        self.snapshots.add(self.env.step, list(self.release(snapshot=True).values()), score)

    def save_state(self) -> None:
        """``last.pt``: everything a resumed run needs to continue bit-identically (rank 0 writes)."""
        self.check_healthy()
        recipe, env = self.recipe, self.env
        per_rank = gather_objects({"rng": rng_state(), "recipe": recipe.rank_state()}, self.ctx)
        self.saved_step = env.step
        if not self.ctx.is_main:
            return
        state: dict[str, Any] = {
            "task": self.task,
            "state_version": STATE_VERSION,
            "step": env.step,
            "epoch": env.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "rng": [p["rng"] for p in per_rank],
            "per_rank": [p["recipe"] for p in per_rank],
            "guard": self.guard.state_dict(),
            "snapshots": self.snapshots.state_dict(),
            "lr": self.cfg.lr,
        }
        for name, module in recipe.modules.items():
            state[name] = module_state(module)
        for name, ema in env.ema.items():
            state[f"ema_{name}"] = ema.state_dict()
        for name, opt in recipe.optimizers.items():
            state[f"opt_{name}"] = opt.state_dict()
            state[f"scaler_{name}"] = recipe.scalers[name].state_dict()
            if name in self.schedulers:
                state[f"sched_{name}"] = self.schedulers[name].state_dict()
        rundir.save_state(self.run_dir / rundir.STATE_FILE, state)

    def restore(self) -> None:
        """Load ``last.pt`` into the recipe's modules, optimizers, ... and this rank's RNGs."""
        recipe, env, ctx = self.recipe, self.env, self.ctx
        state = rundir.load_state(rundir.prepare_run_dir(self.run_dir, resume=True) / rundir.STATE_FILE)
        if state.get("task") != self.task:
            raise I2IError(f"{self.run_dir}: state is not a {self.task} run")
        for name, module in recipe.modules.items():
            module.load_state_dict(state[name])
        for name, ema in env.ema.items():
            ema.load_state_dict(state.get(f"ema_{name}", state[name]))  # --ema added on resume: start at G
        for name, opt in recipe.optimizers.items():
            opt.load_state_dict(state[f"opt_{name}"])
            recipe.scalers[name].load_state_dict(state[f"scaler_{name}"])
            if name in self.schedulers:
                self.schedulers[name].load_state_dict(state[f"sched_{name}"])
        saved_lr = float(state.get("lr", self.cfg.lr))
        if self.cfg.lr != saved_lr:  # --lr with --resume (after a divergence): scale every rate
            self.scale_lr(self.cfg.lr / saved_lr)
        env.step, env.epoch = int(state["step"]), int(state["epoch"])
        self.batch_in_epoch = int(state["batch_in_epoch"])
        self.saved_step = env.step
        if self.changed.keys() & {"epochs", "epochs_decay"} and self.spec is not None:
            for scheduler in self.schedulers.values():
                replan(scheduler, self.spec, env.epoch)
        per_rank = state.get("per_rank", [])
        rngs = state.get("rng") or [p["rng"] for p in per_rank]  # state_version 1 kept them per rank
        if len(rngs) == ctx.world_size:
            set_rng_state(rngs[ctx.rank])
        else:
            self.out.print(
                f"[yellow]warning:[/] state saved by {len(rngs)} processes, resuming with {ctx.world_size}: "
                "RNG streams are reseeded, so the continuation is not bit-exact"
            )
            seed_everything(self.cfg.seed + 7919 * env.step + ctx.rank)
        if ctx.rank < len(per_rank):
            recipe.load_rank_state(per_rank[ctx.rank].get("recipe", per_rank[ctx.rank]))
        self.guard.load_state_dict(state.get("guard", {}))
        if ctx.is_main:
            self.snapshots.load_state_dict(state.get("snapshots", {}), env.step)

    def warm_start(self, source: Path) -> None:
        """``--init-from``: every module's weights from another run's ``last.pt`` (a generator's EMA
        average where that run kept one, since those are its released weights); nothing else (optimizers,
        schedule, step, RNG streams) carries over. Runs before the EMA copies are made, so they start
        there."""
        path = source / rundir.STATE_FILE if source.is_dir() else source
        if not path.is_file():
            raise I2IError(f"--init-from {source}: no {rundir.STATE_FILE} (give a run folder or its last.pt)")
        state = rundir.load_state(path)
        if state.get("task") != self.task:
            raise I2IError(f"--init-from {source}: a {state.get('task')!r} run, not {self.task}")
        for name, module in self.recipe.modules.items():
            weights = state.get(f"ema_{name}", state.get(name))
            if weights is None:
                raise I2IError(f"--init-from {source}: has no weights for {name}")
            try:
                module.load_state_dict(weights)
            except RuntimeError as err:
                reason = load_state_dict_reason(err)
                raise I2IError(
                    f"--init-from {source}: its {name} does not fit this run's ({reason}); "
                    "give the same network options (--ngf, --net-g, --norm, ...)"
                ) from None
        self.warm_step = int(state.get("step", 0))
        self.warm_changes = self.options_changed_from(path.parent)
        changes = ", ".join(f"{k.replace('_', '-')} {a} -> {b}" for k, (a, b) in self.warm_changes.items())
        self.out.print(f"weights from {path} (step {self.warm_step}); options changed: {changes or 'none'}")

    def options_changed_from(self, source_dir: Path) -> dict[str, tuple[Any, Any]]:
        """``{option: (source's value, this run's)}`` for the options that differ from the source run's
        config.json (empty when it has none), so a forgotten network flag shows in the log."""
        if not (source_dir / rundir.CONFIG_FILE).is_file():
            return {}
        saved = rundir.read_options(source_dir)
        now = json.loads(json.dumps(self.cfg.to_dict()))  # tuples as the lists config.json holds
        skip = {"out", "init_from", "max_steps", "max_minutes"}
        return {k: (saved[k], v) for k, v in now.items() if k in saved and k not in skip and saved[k] != v}

    def changed_options(self) -> dict[str, Any]:
        """The resume overrides whose values differ from the run's config.json (JSON values)."""
        saved = rundir.read_options(self.run_dir)
        now = self.cfg.to_dict()
        return {k: now[k] for k in type(self.cfg).resume_overrides if saved.get(k) != now[k]}

    def keep_changed_options(self) -> None:
        """Log the options changed on resume and write them into config.json (atomically), so a later
        ``--resume`` without them continues the same way instead of going back to the first values."""
        if not self.changed or not self.ctx.is_main:
            return
        data = rundir.read_config(self.run_dir)
        if "config" in data:
            data["config"] = {**data["config"], **self.changed}
        else:  # a config.json written before the "config" key
            data = {**data, **self.changed}
        rundir.write_json(self.run_dir / rundir.CONFIG_FILE, data)
        changes = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in self.changed.items())
        self.log.write("event", step=self.env.step, epoch=self.env.epoch, message=f"resumed with {changes}")

    def scale_lr(self, factor: float) -> None:
        """Multiply the current and base learning rates of every optimizer and schedule by ``factor``."""
        self.out.print(f"learning rates x {factor:g} (--lr {self.cfg.lr:g})")
        for opt in self.recipe.optimizers.values():
            for group in opt.param_groups:
                group["lr"] *= factor
                if "initial_lr" in group:
                    group["initial_lr"] *= factor
        for scheduler in self.schedulers.values():
            if hasattr(scheduler, "base_lrs"):
                scheduler.base_lrs = [lr * factor for lr in scheduler.base_lrs]

    # ------------------------------------------------------------------------------------------ the end
    def finish(self, stopped: str) -> TrainResult:
        """Resumable state first (nothing after it touches the RNG), then the release artefacts."""
        recipe, env = self.recipe, self.env
        self.save_state()
        artefacts: dict[str, Path] = {}
        val = None
        if self.ctx.is_main:
            if self.means.count:
                lr = current_lr(next(iter(recipe.optimizers.values())))
                self.log.write("train", step=env.step, epoch=env.epoch, lr=lr, **self.means.means())
            artefacts = self.release(snapshot=False)
            self.samples()
            val = recipe.finish(stopped)
            self.curves()
            self.log.write("event", step=env.step, epoch=env.epoch, message=f"stopped: {stopped}")
            names = " and ".join(str(p) for p in artefacts.values())
            self.out.print(
                f"{self.task}: {stopped} at step {env.step} (epoch {env.epoch}); checkpoint {names}; "
                f"resume with --resume {self.run_dir}",
                soft_wrap=True,
            )
        barrier(self.ctx)
        generator = recipe.release_module(recipe.ema_modules[0])
        return TrainResult(self.run_dir, env.step, env.epoch, stopped, artefacts, self.latest, val, generator)
