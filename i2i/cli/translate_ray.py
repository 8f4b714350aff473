"""`i2i translate --ray ADDRESS`: the translate command's Ray Data path (torch-free).

Same inputs, outputs, report lines and exit code as the single-machine path; the work runs in a Ray
actor pool (:mod:`i2i.runtime.ray_translate`). Imports ray only when the command runs.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.markup import escape

from i2i.cli.common import console
from i2i.errors import I2IError


def translate_on_ray(
    inputs: list[str],
    out: str,
    *,
    address: str,
    model: str,
    direction: str | None,
    glob: str | None,
    recursive: bool,
    fmt: str,
    options: Any,
    device: str,
    threads: int | None,
    actors: int | None,
    progress: bool,
    runtime: str = "auto",
    precision: str = "auto",
) -> None:
    """Plan on this machine, translate on Ray, print failures and the summary; exit 1 if any failed.

    Raises:
        I2IError: Ray missing, bad address, no images, unknown model, or actors that cannot load it.
    """
    from i2i.runtime import TranslatorSession, resolve_model
    from i2i.runtime.progress import translate_progress
    from i2i.runtime.ray_translate import check_address, import_ray, plan_ray_jobs, ray_runtime, run_ray_plan

    check_address(address)
    import_ray()  # say how to install it before any work
    stdin_lines = sys.stdin if "-" in inputs else None
    plan = plan_ray_jobs(inputs, out, fmt, glob=glob, recursive=recursive, stdin_lines=stdin_lines)
    if not plan.jobs and not plan.problems:
        raise I2IError(f"no images found in {', '.join(inputs)}" + (f" matching {glob!r}" if glob else ""))
    path = resolve_model(model, direction)
    info = TranslatorSession(path, device="cpu", threads=1).info  # checked here, before any actor starts
    if direction and info.direction and direction != info.direction:
        raise I2IError(f"{path}: translates {info.direction}, not {direction}")
    console.print(f"model: {info.describe()} on Ray ({address})", soft_wrap=True)
    for problem in plan.problems:
        console.print(f"[red]failed:[/] {escape(problem.source)}: {escape(problem.reason)}", soft_wrap=True)
    with (
        ray_runtime(address) as ray,
        translate_progress(console, enabled=progress and bool(plan.jobs)) as bar,
    ):
        task = bar.add_task("translating", total=len(plan.jobs))

        def on_result(source: str, status: str, reason: str) -> None:
            if status == "failed":
                bar.console.print(f"[red]failed:[/] {escape(source)}: {escape(reason)}", soft_wrap=True)
            bar.advance(task)

        summary = run_ray_plan(
            plan,
            path,
            multiple=info.size_multiple,
            in_channels=info.io.in_channels,
            options=options,
            device=device,
            threads=threads,
            actors=actors,
            runtime=runtime,
            precision=precision,
            on_result=on_result,
        )
        nodes = len(ray.nodes())
    failed = len(summary.failures)
    skipped = f"{summary.skipped} skipped" + (
        " (exist; --overwrite replaces them)" if summary.skipped else ""
    )
    where = ", ".join(sorted(summary.providers)) or "-"
    console.print(
        f"{summary.done} translated, {skipped}, {failed} failed -> {out} "
        f"[{summary.images_per_second:.2f} img/s on {where}; Ray: {nodes} node(s), "
        f"up to {summary.actors} actor(s)]",
        soft_wrap=True,
    )
    if failed:
        raise typer.Exit(1)
