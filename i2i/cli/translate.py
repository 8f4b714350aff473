"""`i2i translate`: run an exported model over files and folders with onnxruntime or OpenVINO.

Imports nothing that imports torch (a test checks `sys.modules`), so it starts fast and runs where only
onnxruntime (or OpenVINO) is installed.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from i2i.cli.common import console, finish_file_run
from i2i.cli.options import given, parameters, with_signature
from i2i.errors import I2IError
from i2i.runtime.translate_options import TranslateOptions, TranslateRun, VideoOptions

PATHS = inspect.Parameter(
    "paths",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    annotation=Annotated[
        list[str],
        typer.Argument(
            help="INPUTS... OUT_DIR: image or video files, folders, or '-' (paths on stdin), then the output "
            "folder.",
            show_default=False,
            metavar="INPUTS... OUT_DIR",
        ),
    ],
)


def register(app: typer.Typer) -> None:
    """Add the `translate` command to the top-level app: one option per field of
    :class:`~i2i.runtime.translate_options.TranslateRun` and
    :class:`~i2i.runtime.translate_options.TranslateOptions` and
    :class:`~i2i.runtime.translate_options.VideoOptions`."""
    params = [PATHS, *parameters(TranslateRun), *parameters(TranslateOptions), *parameters(VideoOptions)]
    app.command("translate")(with_signature(translate_command, params))


def translate_command(paths: list[str], **values: Any) -> None:
    """Translate images with an exported model, keeping relative paths. Exit 1 if any image failed.

    Images keep their size (reflect-padded to the model's size multiple and cropped back) unless --resize is
    given; EXIF orientation is applied; greyscale and palette images are translated as RGB and transparent
    areas are composited on white. Existing outputs are skipped unless --overwrite.

    Video clips (.mp4 .mov .mkv .avi .webm; needs pip install "i2i[video]") are written at their frame
    rate and size with their audio and rotation, stabilised against flicker unless --no-stabilise.
    """
    from i2i.batch import failure_markup, reporting_bar, summary_line
    from i2i.progress import StopControl
    from i2i.runtime import collect_sources, plan_jobs, resolve_model, translate_jobs
    from i2i.runtime.engine import describe_session, open_session
    from i2i.runtime.inputs import is_video_path
    from i2i.runtime.pipeline import check_direction

    if len(paths) < 2:
        raise I2IError(
            "give at least one input and the output folder: i2i translate -m MODEL INPUTS... OUT_DIR"
        )
    *inputs, out = paths
    if out == "-":
        raise I2IError("the last argument is the output folder; '-' only stands for inputs")
    run = TranslateRun(**given(values, TranslateRun))
    options = TranslateOptions(**given(values, TranslateOptions))
    video = VideoOptions(**given(values, VideoOptions))
    if run.ray is not None:
        from i2i.cli.translate_ray import translate_on_ray

        translate_on_ray(inputs, out, run, options)
        return
    model, direction, glob, progress = run.model, run.direction, run.glob, run.progress
    out_dir = Path(out)
    stdin_lines = sys.stdin if "-" in inputs else None
    ignored: list[Path] = []
    sources, problems = collect_sources(
        inputs,
        glob=glob,
        recursive=run.recursive,
        stdin_lines=stdin_lines,
        exclude=out_dir,
        ignored=ignored,
        videos=True,
    )
    jobs, collisions = plan_jobs(sources, out_dir, run.format)
    problems += collisions
    if not jobs and not problems:
        others = f" ({_ignored_text(ignored)})" if ignored else ""
        raise I2IError(
            f"no images or videos found in {', '.join(inputs)}"
            + (f" matching {glob!r}" if glob else "")
            + others
        )
    clips = [job for job in jobs if is_video_path(job.source)]
    jobs = [job for job in jobs if not is_video_path(job.source)]
    if clips:  # a missing video extra is one line, before the model is loaded
        from i2i.video import import_av, import_cv2
        from i2i.video.encode import encoder_name

        import_av()
        if video.stabilise:
            import_cv2()
        for suffix in sorted({job.target.suffix for job in clips}):
            encoder_name(video.codec, suffix)
    for problem in problems:  # inputs are checked before the model is loaded
        console.print(failure_markup(problem.path, problem.reason), soft_wrap=True)
    if not jobs and not clips:
        console.print(summary_line(0, 0, len(problems), tail=_ignored_tail(ignored)), soft_wrap=True)
        raise typer.Exit(1)
    session = open_session(
        resolve_model(model, direction),
        runtime=run.runtime,
        precision=run.precision,
        device=run.device,
        threads=run.threads,
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
    with StopControl() as stop:
        with reporting_bar(console, len(jobs), enabled=progress and bool(jobs)) as on_result:
            summary = translate_jobs(
                session,
                jobs,
                multiple=info.size_multiple,
                in_channels=info.io.in_channels,
                options=options,
                on_result=lambda job, status, reason: on_result(job.source, status, reason),
                stop=stop,
            )
        rate = f"{summary.images_per_second:.2f} img/s; " if summary.done else ""
        if clips and not summary.interrupted:
            videos = _translate_clips(session, clips, options, video, progress=progress, stop=stop)
            summary.done += videos.done
            summary.skipped += videos.skipped
            summary.failures += videos.failures
            summary.interrupted = videos.interrupted
            rate += f"{videos.frames_per_second:.2f} frames/s; " if videos.frames else ""
    failed = len(summary.failures) + len(problems)
    where = f"{session.runtime} on {session.provider}, {session.precision}"
    tail = f"{_ignored_tail(ignored)} -> {out_dir} [{rate}{where}]"
    console.print(summary_line(summary.done, summary.skipped, failed, tail=tail), soft_wrap=True)
    finish_file_run(failed, summary.interrupted)


def _translate_clips(
    session: Any,
    clips: list[Any],
    options: TranslateOptions,
    video: VideoOptions,
    *,
    progress: bool,
    stop: Any,
) -> Any:
    """Translate the video ``clips`` one after the other with a frames/s bar (ETA) per clip; returns the
    :class:`~i2i.video.VideoSummary`."""
    from i2i.batch import failure_markup
    from i2i.progress import rate_bar
    from i2i.video import translate_videos

    info = session.info
    with rate_bar(console, unit="frame", enabled=progress) as bar:
        task: list[Any] = []

        def on_start(job: Any, clip: Any) -> None:
            if task:
                bar.update(task[-1], visible=False)
            bar.console.print(f"video: {job.source}: {clip.describe()}", soft_wrap=True, markup=False)
            task.append(bar.add_task(job.source.name, total=clip.frames or None))

        def on_result(job: Any, status: str, reason: str) -> None:
            if status == "failed":
                bar.console.print(failure_markup(job.source, reason), soft_wrap=True)

        return translate_videos(
            session,
            clips,
            multiple=info.size_multiple,
            in_channels=info.io.in_channels,
            options=options,
            video=video,
            on_result=on_result,
            on_start=on_start,
            on_frames=lambda n: bar.advance(task[-1], n),
            stop=stop,
        )


def _ignored_text(ignored: list[Path], shown: int = 3) -> str:
    """``2 non-image files ignored: notes.txt, data.csv`` (the first ``shown`` names)."""
    first = sorted(ignored, key=lambda path: path.as_posix())[:shown]
    names = ", ".join(path.name for path in first) + (", ..." if len(ignored) > shown else "")
    plural = "s" if len(ignored) != 1 else ""
    return f"{len(ignored)} non-image file{plural} ignored: {names}"


def _ignored_tail(ignored: list[Path]) -> str:
    return f", {_ignored_text(ignored)}" if ignored else ""
