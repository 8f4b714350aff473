"""`i2i translate --ray ADDRESS`: the translate command's Ray Data path (torch-free).

Same inputs, outputs, report lines and exit code as the single-machine path; the work runs in a Ray
actor pool (:mod:`i2i.runtime.ray_translate`). Imports ray only when the command runs.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from i2i.cli.common import console, finish_file_run
from i2i.errors import I2IError

if TYPE_CHECKING:
    from i2i.runtime.ray_plan import RayPlan
    from i2i.runtime.translate_options import TranslateOptions, TranslateRun


def translate_on_ray(inputs: list[str], out: str, run: TranslateRun, options: TranslateOptions) -> None:
    """Plan on this machine, translate on Ray (``run.ray``: its address), print failures and the summary;
    exit 1 if any failed.

    Raises:
        I2IError: Ray missing, bad address, no images, unknown model, or actors that cannot load it.
    """
    from i2i.batch import failure_markup, reporting_bar, summary_line
    from i2i.progress import StopControl
    from i2i.runtime.ray_translate import translate_ray

    address, glob = str(run.ray), run.glob

    def check_plan(plan: RayPlan) -> None:
        if not plan.jobs and not plan.problems:
            where = ", ".join(inputs) + (f" matching {glob!r}" if glob else "")
            raise I2IError(f"no images found in {where}")

    stop = StopControl()
    with contextlib.ExitStack() as stack:
        bar: list[Callable[[str, str, str], None]] = []  # its on_result, once the plan is known

        def start(plan: RayPlan, info: Any) -> None:
            """Report the model and the planning problems, then start the bar and the Ctrl-C rule."""
            console.print(f"model: {info.describe()} on Ray ({address})", soft_wrap=True)
            for problem in plan.problems:
                console.print(failure_markup(problem.source, problem.reason), soft_wrap=True)
            bar.append(stack.enter_context(reporting_bar(console, len(plan.jobs), enabled=run.progress)))
            stack.enter_context(stop)

        summary = translate_ray(
            inputs,
            out,
            run.model,
            address=address,
            direction=run.direction,
            fmt=run.format,
            glob=glob,
            recursive=run.recursive,
            stdin_lines=sys.stdin if "-" in inputs else None,
            options=options,
            device=run.device,
            threads=run.threads,
            actors=run.ray_actors,
            runtime=run.runtime,
            precision=run.precision,
            on_plan=check_plan,
            on_start=start,
            on_result=lambda source, status, reason: bar[0](source, status, reason),
            stop=stop,
        )
    failed = len(summary.failures)
    where = ", ".join(sorted(summary.providers)) or "-"
    tail = (
        f" -> {out} [{summary.images_per_second:.2f} img/s on {where}; Ray: {summary.nodes} node(s), "
        f"up to {summary.actors} actor(s)]"
    )
    console.print(summary_line(summary.done, summary.skipped, failed, tail=tail), soft_wrap=True)
    finish_file_run(failed, summary.interrupted)
