"""`i2i translate`: run an exported model over files and folders with onnxruntime or OpenVINO.

Imports nothing that imports torch (a test checks `sys.modules`), so it starts fast and runs where only
onnxruntime (or OpenVINO) is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from i2i.cli.common import PrecisionOption, ProgressOption, RuntimeOption, console, finish_file_run
from i2i.errors import I2IError


def register(app: typer.Typer) -> None:
    """Add the `translate` command to the top-level app."""
    app.command("translate")(translate_command)


def translate_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="INPUTS... OUT_DIR: image files, folders, or '-' (paths on stdin), then the output folder.",
            show_default=False,
            metavar="INPUTS... OUT_DIR",
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model", "-m", help="Model name or an .onnx file from `i2i export`.", show_default=False
        ),
    ],
    direction: Annotated[
        str | None,
        typer.Option("--direction", help="AtoB | BtoA: which model when a name has two.", show_default=False),
    ] = None,
    glob: Annotated[
        str | None,
        typer.Option(
            "--glob",
            help="Only images in folders matching this pattern ('*.jpg', 'day/*').",
            show_default=False,
        ),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive/--no-recursive", help="Search folders recursively.")
    ] = True,
    fmt: Annotated[str, typer.Option("--format", help="Output format: same | png | jpg | webp.")] = "same",
    quality: Annotated[int, typer.Option("--quality", min=1, max=100, help="JPEG/WebP quality.")] = 95,
    resize: Annotated[
        int | None,
        typer.Option(
            "--resize",
            min=1,
            help="Scale so the long side is this many pixels (default: never resize).",
            show_default=False,
        ),
    ] = None,
    tile: Annotated[
        int | None,
        typer.Option("--tile", min=1, help="Infer in tiles of this size (large images).", show_default=False),
    ] = None,
    overlap: Annotated[
        int, typer.Option("--overlap", min=0, help="Tile overlap in pixels (feathered).")
    ] = 64,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Images of the same size per model call.")] = 1,
    device: Annotated[str, typer.Option("--device", help="auto | cpu | cuda | tensorrt.")] = "auto",
    runtime: RuntimeOption = "auto",
    precision: PrecisionOption = "auto",
    threads: Annotated[
        int | None,
        typer.Option("--threads", min=1, help="CPU threads (default: all cores).", show_default=False),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Image decode threads and as many encode threads (the model itself uses --threads).",
        ),
    ] = 2,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing outputs (default: skip).")
    ] = False,
    progress: ProgressOption = True,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Run on Ray Data: 'local' (a local runtime), 'auto', HOST:PORT or ray://HOST:PORT "
            "(a cluster). Inputs and OUT_DIR may be s3://, gs://... URIs. "
            "Needs pip install 'i2i\\[ray]'.",  # \\[ keeps Rich from reading [ray] as markup
            show_default=False,
        ),
    ] = None,
    ray_actors: Annotated[
        int | None,
        typer.Option(
            "--ray-actors",
            min=1,
            help="With --ray: at most this many model actors (default: fill the cluster).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Translate images with an exported model, keeping relative paths. Exit 1 if any image failed.

    Images keep their size (reflect-padded to the model's size multiple and cropped back) unless --resize is
    given; EXIF orientation is applied; greyscale and palette images are translated as RGB and transparent
    areas are composited on white. Existing outputs are skipped unless --overwrite.
    """
    from i2i.batch import failure_markup, reporting_bar, summary_line
    from i2i.progress import StopControl
    from i2i.runtime import TranslateOptions, collect_sources, plan_jobs, resolve_model, translate_jobs
    from i2i.runtime.engine import describe_session, open_session
    from i2i.runtime.pipeline import check_direction

    if len(paths) < 2:
        raise I2IError(
            "give at least one input and the output folder: i2i translate -m MODEL INPUTS... OUT_DIR"
        )
    *inputs, out = paths
    if tile is not None and overlap >= tile:
        raise I2IError(f"--overlap {overlap} must be smaller than --tile {tile}")
    if out == "-":
        raise I2IError("the last argument is the output folder; '-' only stands for inputs")
    options = TranslateOptions(
        batch=batch,
        tile=tile,
        overlap=overlap,
        resize=resize,
        quality=quality,
        overwrite=overwrite,
        workers=workers,
    )
    if ray is not None:
        from i2i.cli.translate_ray import translate_on_ray

        translate_on_ray(
            inputs,
            out,
            address=ray,
            model=model,
            direction=direction,
            glob=glob,
            recursive=recursive,
            fmt=fmt,
            options=options,
            device=device,
            threads=threads,
            actors=ray_actors,
            progress=progress,
            runtime=runtime,
            precision=precision,
        )
        return
    out_dir = Path(out)
    stdin_lines = sys.stdin if "-" in inputs else None
    ignored: list[Path] = []
    sources, problems = collect_sources(
        inputs, glob=glob, recursive=recursive, stdin_lines=stdin_lines, exclude=out_dir, ignored=ignored
    )
    jobs, collisions = plan_jobs(sources, out_dir, fmt)
    problems += collisions
    if not jobs and not problems:
        others = f" ({_ignored_text(ignored)})" if ignored else ""
        raise I2IError(
            f"no images found in {', '.join(inputs)}" + (f" matching {glob!r}" if glob else "") + others
        )
    for problem in problems:  # inputs are checked before the model is loaded
        console.print(failure_markup(problem.path, problem.reason), soft_wrap=True)
    if not jobs:
        console.print(summary_line(0, 0, len(problems), tail=_ignored_tail(ignored)), soft_wrap=True)
        raise typer.Exit(1)
    session = open_session(
        resolve_model(model, direction),
        runtime=runtime,
        precision=precision,
        device=device,
        threads=threads,
        log=lambda line: console.print(line, soft_wrap=True, markup=False),
    )
    info = session.info
    check_direction(session.path, info, direction)
    console.print(f"model: {info.describe()}", soft_wrap=True, markup=False)
    console.print(f"runtime: {describe_session(session)}", soft_wrap=True, markup=False)
    if session.path != Path(model).expanduser():
        from i2i.zoo.notes import note_for_model_argument

        note = note_for_model_argument(model, direction)
        if note:
            console.print(f"[yellow]note:[/] {note}", soft_wrap=True)
    with StopControl() as stop, reporting_bar(console, len(jobs), enabled=progress) as on_result:
        summary = translate_jobs(
            session,
            jobs,
            multiple=info.size_multiple,
            in_channels=info.io.in_channels,
            options=options,
            on_result=lambda job, status, reason: on_result(job.source, status, reason),
            stop=stop,
        )
    failed = len(summary.failures) + len(problems)
    rate = f"{summary.images_per_second:.2f} img/s; " if summary.done else ""
    where = f"{session.runtime} on {session.provider}, {session.precision}"
    tail = f"{_ignored_tail(ignored)} -> {out_dir} [{rate}{where}]"
    console.print(summary_line(summary.done, summary.skipped, failed, tail=tail), soft_wrap=True)
    finish_file_run(failed, summary.interrupted)


def _ignored_text(ignored: list[Path], shown: int = 3) -> str:
    """``2 non-image files ignored: notes.txt, data.csv`` (the first ``shown`` names)."""
    first = sorted(ignored, key=lambda path: path.as_posix())[:shown]
    names = ", ".join(path.name for path in first) + (", ..." if len(ignored) > shown else "")
    plural = "s" if len(ignored) != 1 else ""
    return f"{len(ignored)} non-image file{plural} ignored: {names}"


def _ignored_tail(ignored: list[Path]) -> str:
    return f", {_ignored_text(ignored)}" if ignored else ""
