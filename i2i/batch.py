"""One way to run a command over many image files (torch-free): per-file failures, atomic writes,
progress and Ctrl-C.

Every file command follows the same rules. A file that cannot be read, processed or written is reported
with a one-line reason and the run carries on; the failures are listed again at the end and the command
exits 1. Results are written atomically (a temporary file renamed into place) and never over an input.
The first Ctrl-C (:class:`~i2i.progress.StopControl`) finishes the item or step in progress and stops;
a second one stops at once.

:func:`optimise_images` is that loop for the per-image optimisations (``i2i stylize --style``,
``i2i dream``); the translate pipeline (:mod:`i2i.runtime.pipeline`, and on Ray
:mod:`i2i.runtime.ray_translate`) streams batches through a model under the same rules, with
:class:`Tally`, :func:`reporting_bar` and :func:`summary_line` for the counts and the report.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from rich.console import Console
from rich.markup import escape

from i2i.errors import I2IError
from i2i.imageio import from_float_chw, write_image_atomic
from i2i.options import AMP_HELP, Amp, Device, coerce_enums, option, plain_values
from i2i.output_paths import failure_lines
from i2i.progress import Interrupted, StepProgress, StopControl, rate_bar

Item = TypeVar("Item")
Loaded = TypeVar("Loaded")


# ------------------------------------------------------------------------------------------ counting
@dataclass
class Tally(Generic[Item]):
    """What a file run did: counts of written and skipped items, and each failure with its reason
    (``failures`` holds whatever the engine calls a failure: ``(path, reason)`` records)."""

    done: int = 0
    skipped: int = 0
    failures: list[Item] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def count(self, status: str, failure: Callable[[], Item]) -> None:
        """Count one item's ``status`` (``done`` | ``skipped`` | ``failed``; ``failure()`` makes the
        record of a failed one)."""
        if status == "done":
            self.done += 1
        elif status == "skipped":
            self.skipped += 1
        else:
            self.failures.append(failure())


def skipped_text(skipped: int) -> str:
    """``3 skipped (exist; --overwrite replaces them)`` (the hint only when something was skipped)."""
    return f"{skipped} skipped" + (" (exist; --overwrite replaces them)" if skipped else "")


def summary_line(done: int, skipped: int, failed: int, verb: str = "translated", tail: str = "") -> str:
    """The end-of-run count: ``2 translated, 1 skipped (exist; ...), 0 failed<tail>``."""
    return f"{done} {verb}, {skipped_text(skipped)}, {failed} failed{tail}"


def failure_markup(name: Any, reason: str) -> str:
    """``failed: NAME: REASON`` as Rich markup (the name and reason escaped: file names may hold ``[``)."""
    return f"[red]failed:[/] {escape(str(name))}: {escape(reason)}"


@contextlib.contextmanager
def reporting_bar(
    console: Console, total: int, enabled: bool = True, description: str = "translating"
) -> Iterator[Callable[[Any, str, str], None]]:
    """A :func:`~i2i.progress.rate_bar` over ``total`` files; yields ``on_result(name, status, reason)``
    that advances it and prints ``failed: NAME: REASON`` above it for each failed file (callable from
    worker threads: Rich serialises its updates)."""
    with rate_bar(console, enabled=enabled and total > 0) as bar:
        task = bar.add_task(description, total=total)

        def on_result(name: Any, status: str, reason: str) -> None:
            if status == "failed":
                bar.console.print(failure_markup(name, reason), soft_wrap=True)
            bar.advance(task)

        yield on_result


def one_line(err: BaseException, limit: int = 300) -> str:
    """An exception as one line of at most ``limit`` characters (its type when it has no text)."""
    return " ".join((str(err) or type(err).__name__).split())[:limit]


def strip_prefix(text: str, name: str | Path) -> str:
    """``"<name>: reason"`` -> ``"reason"``: reports name the file once, in front of the reason."""
    prefix = f"{name}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


# ---------------------------------------------------------------------------- per-image optimisation
@dataclass(frozen=True, kw_only=True)
class ImageJob:
    """What every per-image optimisation (``i2i stylize --style``, ``i2i dream``) is asked: its input
    files, where results go (None: beside each input), the feature network's weights file (None: the
    resolver), the torch device, whether to replace existing outputs, the ``--amp`` mode, and plain-line
    progress (None: when the console is no terminal). Subclasses add their method's options."""

    inputs: tuple[Path, ...] = option(help="Input images.", cli=False)
    output: Path | None = option(None, "Output file (one input) or folder.", flags=("-o",))
    backbone_weights: Path | None = option(None, "Weights file for the feature network (skips the resolver).")
    device: Device = option(Device.auto, "Where torch runs: auto picks CUDA when torch sees one.")
    overwrite: bool = option(False, "Replace existing output files.")
    amp: Amp = option(Amp.auto, AMP_HELP)
    plain_progress: bool | None = option(None, "Plain progress lines (None: when no terminal).", cli=False)

    def __post_init__(self) -> None:
        coerce_enums(self)


def job_notes(command: str, job: ImageJob) -> dict[str, str]:
    """The PNG notes that record how an output was made: ``i2i:command`` and ``i2i:options`` (the job's
    options as JSON, inputs and outputs left out; read them back with PIL's ``Image.open(p).text``)."""
    from i2i.version import __version__

    options = {k: v for k, v in plain_values(job).items() if k not in ("inputs", "output", "plain_progress")}
    return {"i2i:command": f"i2i {command} ({__version__})", "i2i:options": json.dumps(options)}


def _as_chw(image: Any) -> np.ndarray:
    """A (3, H, W) or (1, 3, H, W) array or CPU tensor in [0, 1] -> numpy (3, H, W)."""
    arr = np.asarray(image)
    return arr[0] if arr.ndim == 4 else arr


def optimise_images(
    pairs: Sequence[tuple[Path, Path]],
    console: Console,
    *,
    load: Callable[[Path], Loaded],
    steps: Callable[[Path, Loaded], int],
    optimise: Callable[[Path, Path, Loaded, StepProgress], Any],
    written: Callable[[Path, Path], None],
    failures: list[tuple[Path, str]],
    total_inputs: int,
    overwrite: bool = False,
    plain_progress: bool | None = None,
    on_interrupt: Callable[[Path], None] | None = None,
    notes: Mapping[str, str] | None = None,
) -> list[tuple[Path, str]]:
    """Optimise each ``(source, target)`` pair in turn; returns ``failures`` with the inputs that failed.

    ``load(source)`` reads an input; an I2IError from it or from ``optimise``, or an error writing the
    result, fails that input (reported, the run goes on);
    ``steps(source, loaded)`` is its number of steps for the progress display; ``optimise(source, target,
    loaded, progress)`` runs them, calling ``progress.update`` after each step, and returns the result:
    (3, H, W) or (1, 3, H, W) in [0, 1] (numpy or a CPU tensor); ``written(source, target)`` reports a
    written result. ``failures`` may already hold inputs that failed before (missing files); they are
    printed first and counted in the end-of-run report over ``total_inputs``. ``notes`` are kept in each
    PNG written (:func:`job_notes`).

    Ctrl-C: the first finishes the current step; the current image (an :class:`Interrupted` raised by
    the optimisation) is written to the target, ``on_interrupt(target)`` is called and the
    :class:`Interrupted` propagates (the CLI exits 130).
    """
    for _path, reason in failures:
        console.print(f"[red]skipped[/] {reason}")
    with StopControl() as stop:
        for source, target in pairs:
            stop.stop_here()  # a Ctrl-C while the previous result was written
            try:
                loaded = load(source)
            except I2IError as err:
                failures.append((source, str(err)))
                console.print(f"[red]skipped[/] {err}")
                continue
            total = steps(source, loaded)
            with StepProgress(console, source.name, total, plain=plain_progress, stop=stop) as progress:
                try:
                    result = optimise(source, target, loaded, progress)
                except Interrupted as halted:
                    write_image_atomic(
                        from_float_chw(_as_chw(halted.image)), target, overwrite=True, text=notes
                    )
                    console.print(
                        f"interrupted after {halted.step} of {total} steps: wrote the current image to "
                        f"{target}",
                        soft_wrap=True,
                    )
                    if on_interrupt is not None:
                        on_interrupt(target)
                    raise
                except I2IError as err:  # this input cannot be done (e.g. too small): the rest can
                    failures.append((source, str(err)))
                    console.print(failure_markup(source, strip_prefix(str(err), source)), soft_wrap=True)
                    continue
            try:
                write_image_atomic(from_float_chw(_as_chw(result)), target, overwrite=overwrite, text=notes)
            except (I2IError, OSError) as err:  # e.g. a folder in the way, a full disk: the next may work
                reason = strip_prefix(one_line(err), target)
                failures.append((source, f"{source}: cannot write {target}: {reason}"))
                console.print(failure_markup(source, f"cannot write {target}: {reason}"), soft_wrap=True)
                continue
            written(source, target)
    if failures:
        for line in failure_lines(failures, total_inputs):
            console.print(line, soft_wrap=True, highlight=False)
    return failures
