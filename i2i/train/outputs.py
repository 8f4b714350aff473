"""What a run writes besides ``last.pt``, all by rank 0 (the other ranks' calls do nothing):

``config.json`` (the options, the resolved data, options changed on resume), ``train_log.jsonl`` (records
``gradcheck``, ``train``, ``val``, ``eval``, ``warning``, ``event``), the console lines, the sample grids
``samples/step_NNNNNNN.png``, ``loss_curves.png`` and ``eval_curves.png``, the numbered snapshots
``checkpoints/step_NNNNNNN_<name>.pt`` and the release checkpoints ``<name>.pt`` (:mod:`i2i.checkpoint`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from i2i import checkpoint
from i2i.amp import Precision
from i2i.train import rundir
from i2i.train.distributed import barrier
from i2i.train.gradcheck import CheckResult
from i2i.train.recipe import Recipe
from i2i.train.snapshots import Snapshots, snapshot_path
from i2i.train.visuals import plot_curves, save_grid


class RunOutputs:
    """The run folder ``run_dir`` of ``recipe``'s run and everything written into it."""

    def __init__(self, run_dir: Path, recipe: Recipe[Any]) -> None:
        self.run_dir = run_dir
        self.recipe, self.env = recipe, recipe.env
        self.is_main = recipe.env.ctx.is_main
        self.console = recipe.env.console
        self.snapshots = Snapshots(run_dir / rundir.CHECKPOINTS_DIR, recipe.env.cfg.keep_snapshots)
        self.log = rundir.JsonlLog(run_dir / rundir.LOG_FILE, enabled=False)  # until open()

    # ------------------------------------------------------------------------------------- the folder
    def open(self, resume: bool, changed: dict[str, Any]) -> None:
        """A new run: make the folder and write config.json. A resumed one: drop the log records past the
        state it continues from, and keep the options ``changed`` on resume in config.json (so a later
        ``--resume`` without them continues the same way instead of going back to the first values)."""
        env, recipe = self.env, self.recipe
        if not resume and self.is_main:
            rundir.prepare_run_dir(self.run_dir, resume=False)
            info = {"task": recipe.task, "config": env.cfg.to_dict(), **recipe.run_info()}
            rundir.write_json(self.run_dir / rundir.CONFIG_FILE, {**info, "world_size": env.ctx.world_size})
        self.log = env.log = rundir.JsonlLog(self.run_dir / rundir.LOG_FILE, enabled=self.is_main)
        if not resume:
            return
        self.log.truncate_after(env.step)
        barrier(env.ctx)  # every rank has read config.json (changed options) before rank 0 rewrites it
        if not changed or not self.is_main:
            return
        data = rundir.read_config(self.run_dir)
        if "config" in data:
            data["config"] = {**data["config"], **changed}
        else:  # a config.json written before the "config" key
            data = {**data, **changed}
        rundir.write_json(self.run_dir / rundir.CONFIG_FILE, data)
        changes = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in changed.items())
        self.event(f"resumed with {changes}")

    def started(self, resume: bool, checked: list[CheckResult], asked: Precision) -> None:
        """The start line; one console line and one ``gradcheck`` record per comparison of the gradient
        check, and a warning when ``--amp auto`` fell back from ``asked``."""
        verb = "resuming" if resume else "writing"
        self.console.print(
            f"{self.recipe.task}: {verb} run in [bold]{self.run_dir}[/] ({self.recipe.describe()})",
            soft_wrap=True,
        )
        for result in checked:
            self.write("gradcheck", **result.record())
            self.console.print(result.line(), soft_wrap=True)
        if self.env.prec != asked:
            self.warning(
                f"--amp auto: {asked.describe()} failed the gradient check; training in "
                f"{self.env.prec.describe()} instead"
            )

    # ------------------------------------------------------------------------------------- the log
    def write(self, kind: str, **fields: Any) -> None:
        """A ``kind`` record at the current step and epoch."""
        self.log.write(kind, step=self.env.step, epoch=self.env.epoch, **fields)

    def event(self, message: str, **fields: Any) -> None:
        self.write("event", message=message, **fields)

    def warning(self, message: str) -> None:
        self.write("warning", message=message)
        self.console.print(f"[yellow]warning:[/] {message}", soft_wrap=True)

    def flush_warnings(self) -> None:
        """Log and print the warnings the recipe queued with ``env.warn``."""
        for message in self.env.warnings:
            if self.is_main:
                self.warning(message)
        self.env.warnings.clear()

    # ------------------------------------------------------------------------------------- pictures
    def samples(self) -> None:
        """The recipe's sample grid at this step."""
        if self.is_main:
            rows, labels = self.recipe.sample_rows()
            save_grid(self.run_dir / rundir.SAMPLES_DIR / f"step_{self.env.step:07d}.png", rows, labels)
            self.flush_warnings()

    def curves(self) -> None:
        """loss_curves.png from every ``train`` record so far."""
        if self.is_main:
            records = [r for r in self.log.records if r.get("kind") == "train"]
            title = f"{self.recipe.task} {self.recipe.data_name}"
            plot_curves(self.run_dir / rundir.CURVES_FILE, records, self.recipe.curve_keys, title=title)

    def probe(self) -> dict[str, float] | None:
        """Rank 0: the recipe's probe -> an ``eval`` record and eval_curves.png."""
        if not self.is_main:
            return None
        result = self.recipe.probe()
        if result is None:
            return None
        from i2i.eval.probes import EVAL_CURVES_FILE

        self.write("eval", **result)
        records = [r for r in self.log.records if r.get("kind") == "eval"]
        keys = [k for k in result if k != "eval_images"]
        title = f"{self.recipe.task} {self.recipe.data_name} eval"
        plot_curves(self.run_dir / EVAL_CURVES_FILE, records, keys, title=title)
        return result

    # ------------------------------------------------------------------------------------- checkpoints
    def release(self, snapshot: bool = False) -> dict[str, Path]:
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
        """Rank 0: a numbered snapshot, scored by the probe's ``metric_key`` (probed now if not yet)."""
        if not self.is_main:
            return
        key = self.recipe.metric_key
        if key is not None and probed is None:
            probed = self.probe()
        score = None if key is None or probed is None else probed.get(key)
        self.snapshots.add(self.env.step, list(self.release(snapshot=True).values()), score)
