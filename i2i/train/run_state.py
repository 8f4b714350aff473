"""The resumable state of a run (``last.pt``) and exact resume.

``last.pt`` is a plain ``torch.save`` of tensors, numbers, strings, lists and dicts (it loads with
``weights_only=True``). Its keys, kept in meaning since ``state_version`` 1 (new keys may be added):

- ``task``, ``state_version``, ``step``, ``epoch``, ``batch_in_epoch`` (the data position), ``lr`` (the
  ``--lr`` the run had, so ``--lr`` on resume scales every rate);
- per trained network ``<name>`` (its state dict) and, with ``--ema``, ``ema_<name>``;
- per optimizer ``opt_<name>``, ``scaler_<name>`` (the loss scaler) and ``sched_<name>`` (the lr schedule);
- ``rng``: one snapshot of the global RNGs per rank (:mod:`i2i.train.rng`), ``per_rank``: the recipe's
  per-rank state (image pools and their generator); state_version 1 kept each rank's RNG inside
  ``per_rank``;
- ``guard``: the divergence guard's history; ``snapshots``: the numbered snapshots kept.

Resumed with the same number of processes, a run continues bit-identically: same step, learning rates,
RNG streams and data order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from torch import nn

from i2i.errors import I2IError, load_state_dict_reason
from i2i.train import rundir
from i2i.train.distributed import gather_objects
from i2i.train.guard import DivergenceGuard
from i2i.train.recipe import Recipe
from i2i.train.rng import rng_state, seed_everything, set_rng_state
from i2i.train.schedules import Scheduler, ScheduleSpec, replan
from i2i.train.snapshots import Snapshots

STATE_VERSION = 2


def module_state(module: nn.Module) -> dict[str, Any]:
    """A CPU copy of ``module``'s state dict (weights and buffers)."""
    return {k: v.detach().to("cpu").clone() for k, v in module.state_dict().items()}


class RunState:
    """Everything ``last.pt`` holds, live: the recipe's networks, optimizers, scalers and per-rank state,
    the EMA copies, the ``schedulers``, the ``guard``, the ``snapshots`` bookkeeping and the data position
    (``env.step``, ``env.epoch``, :attr:`batch_in_epoch`). :attr:`saved_step`: the step of the last save."""

    def __init__(
        self,
        recipe: Recipe[Any],
        schedulers: dict[str, Scheduler],
        spec: ScheduleSpec | None,
        guard: DivergenceGuard,
        snapshots: Snapshots,
    ) -> None:
        self.recipe, self.env = recipe, recipe.env
        self.schedulers, self.spec = schedulers, spec
        self.guard, self.snapshots = guard, snapshots
        self.batch_in_epoch = 0
        self.saved_step = 0

    def save(self, path: Path) -> None:
        """Write ``last.pt`` (rank 0; every rank sends its RNG and recipe state)."""
        recipe, env = self.recipe, self.env
        per_rank = gather_objects({"rng": rng_state(), "recipe": recipe.rank_state()}, env.ctx)
        self.saved_step = env.step
        if not env.ctx.is_main:
            return
        state: dict[str, Any] = {
            "task": recipe.task,
            "state_version": STATE_VERSION,
            "step": env.step,
            "epoch": env.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "rng": [p["rng"] for p in per_rank],
            "per_rank": [p["recipe"] for p in per_rank],
            "guard": self.guard.state_dict(),
            "snapshots": self.snapshots.state_dict(),
            "lr": env.cfg.lr,
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
        rundir.save_state(path, state)

    def restore(self, run_dir: Path, changed: dict[str, Any]) -> None:
        """Load ``run_dir/last.pt`` into everything above and this rank's RNGs. ``changed``: the options
        given with ``--resume`` that differ from the run's (a new ``--lr`` scales every rate; new
        ``--epochs``/``--epochs-decay`` re-plan the schedules)."""
        recipe, env, ctx, cfg = self.recipe, self.env, self.env.ctx, self.env.cfg
        state = rundir.load_state(rundir.prepare_run_dir(run_dir, resume=True) / rundir.STATE_FILE)
        if state.get("task") != recipe.task:
            raise I2IError(f"{run_dir}: state is not a {recipe.task} run")
        for name, module in recipe.modules.items():
            module.load_state_dict(state[name])
        for name, ema in env.ema.items():
            ema.load_state_dict(state.get(f"ema_{name}", state[name]))  # --ema added on resume: start at G
        for name, opt in recipe.optimizers.items():
            opt.load_state_dict(state[f"opt_{name}"])
            recipe.scalers[name].load_state_dict(state[f"scaler_{name}"])
            if name in self.schedulers:
                self.schedulers[name].load_state_dict(state[f"sched_{name}"])
        saved_lr = float(state.get("lr", cfg.lr))
        if cfg.lr != saved_lr:  # --lr with --resume (after a divergence): scale every rate
            self.scale_lr(cfg.lr / saved_lr)
        env.step, env.epoch = int(state["step"]), int(state["epoch"])
        self.batch_in_epoch = int(state["batch_in_epoch"])
        self.saved_step = env.step
        if changed.keys() & {"epochs", "epochs_decay"} and self.spec is not None:
            for scheduler in self.schedulers.values():
                replan(scheduler, self.spec, env.epoch)
        per_rank = state.get("per_rank", [])
        rngs = state.get("rng") or [p["rng"] for p in per_rank]  # state_version 1 kept them per rank
        if len(rngs) == ctx.world_size:
            set_rng_state(rngs[ctx.rank])
        else:
            env.console.print(
                f"[yellow]warning:[/] state saved by {len(rngs)} processes, resuming with {ctx.world_size}: "
                "RNG streams are reseeded, so the continuation is not bit-exact"
            )
            seed_everything(cfg.seed + 7919 * env.step + ctx.rank)
        if ctx.rank < len(per_rank):
            recipe.load_rank_state(per_rank[ctx.rank].get("recipe", per_rank[ctx.rank]))
        self.guard.load_state_dict(state.get("guard", {}))
        if ctx.is_main:
            self.snapshots.load_state_dict(state.get("snapshots", {}), env.step)

    def scale_lr(self, factor: float) -> None:
        """Multiply the current and base learning rates of every optimizer and schedule by ``factor``."""
        self.env.console.print(f"learning rates x {factor:g} (--lr {self.env.cfg.lr:g})")
        for opt in self.recipe.optimizers.values():
            for group in opt.param_groups:
                group["lr"] *= factor
                if "initial_lr" in group:
                    group["initial_lr"] *= factor
        for scheduler in self.schedulers.values():
            if hasattr(scheduler, "base_lrs"):
                scheduler.base_lrs = [lr * factor for lr in scheduler.base_lrs]


def changed_options(recipe: Recipe[Any], run_dir: Path) -> dict[str, Any]:
    """The resume overrides whose values differ from the run's config.json (JSON values)."""
    saved = rundir.read_options(run_dir)
    now = recipe.cfg.to_dict()
    return {k: now[k] for k in type(recipe.cfg).resume_overrides if saved.get(k) != now[k]}


def warm_start(recipe: Recipe[Any], source: Path, console: Console) -> tuple[int, dict[str, Any]]:
    """``--init-from``: every module's weights from another run's ``last.pt`` (a generator's EMA average
    where that run kept one, since those are its released weights); nothing else (optimizers, schedule,
    step, RNG streams) carries over. Call before the EMA copies are made, so they start there.

    Returns the source's step and ``{option: (source's value, this run's)}`` for the options that differ
    from the source run's config.json, so a forgotten network flag shows in the log.
    """
    path = source / rundir.STATE_FILE if source.is_dir() else source
    if not path.is_file():
        raise I2IError(f"--init-from {source}: no {rundir.STATE_FILE} (give a run folder or its last.pt)")
    state = rundir.load_state(path)
    if state.get("task") != recipe.task:
        raise I2IError(f"--init-from {source}: a {state.get('task')!r} run, not {recipe.task}")
    for name, module in recipe.modules.items():
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
    step = int(state.get("step", 0))
    changes: dict[str, Any] = {}
    if (path.parent / rundir.CONFIG_FILE).is_file():
        saved = rundir.read_options(path.parent)
        now = json.loads(json.dumps(recipe.cfg.to_dict()))  # tuples as the lists config.json holds
        skip = {"out", "init_from", "max_steps", "max_minutes"}
        changes = {k: (saved[k], v) for k, v in now.items() if k in saved and k not in skip and saved[k] != v}
    listed = ", ".join(f"{k.replace('_', '-')} {a} -> {b}" for k, (a, b) in changes.items())
    console.print(f"weights from {path} (step {step}); options changed: {listed or 'none'}")
    return step, changes
