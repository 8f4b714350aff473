"""Progress and stopping for every long command (torch-free): one Rich bar layout, one Ctrl-C rule.

Bars: :func:`progress_bar` gives description, bar, done/total (or bytes and transfer speed), any extra
columns, elapsed time and ETA, then any trailing columns. Commands differ only in those extras: images/s
for translate (:func:`rate_bar`), loss terms for training (:class:`TrainProgress`) and per-image
optimisation (:class:`StepProgress`). Without a terminal (logs, CI, ``nohup``) a bar would redraw into a
mess, so the step displays print plain lines instead.

Stopping: :class:`StopControl` is the one Ctrl-C rule. The first Ctrl-C (SIGINT) only sets a flag: the
command finishes the item or step in progress, keeps what it has (translated files, the current stylised
image, a training run's resumable state), reports and stops. A second Ctrl-C raises ``KeyboardInterrupt``
at once; the CLI prints ``interrupted`` and exits 130. Training also stops on a time budget here
(``--max-minutes``). :class:`Interrupted` carries the current image out of an optimisation loop.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Mapping, Sequence
from types import FrameType, TracebackType
from typing import Any, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

__all__ = [
    "Interrupted",
    "RateColumn",
    "StepProgress",
    "StopControl",
    "TrainProgress",
    "format_losses",
    "progress_bar",
    "rate_bar",
]


# ----------------------------------------------------------------------------------------------- bars
class RateColumn(ProgressColumn):
    """``12.3 img/s`` (``-`` until there is a rate); ``unit`` names what is counted."""

    def __init__(self, unit: str = "img") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        text = f"- {self.unit}/s" if speed is None else f"{speed:.2f} {self.unit}/s"
        return Text(text, style="progress.data.speed")


def progress_bar(
    console: Console,
    *extra: ProgressColumn,
    counts: Literal["items", "bytes"] = "items",
    description: str = "[progress.description]{task.description}",
    after: Sequence[ProgressColumn] = (),
    enabled: bool = True,
    transient: bool = False,
) -> Progress:
    """A :class:`rich.progress.Progress` with the shared layout (see the module docstring).

    ``counts``: ``items`` shows done/total, ``bytes`` shows sizes and transfer speed. ``enabled=False``
    gives a bar that draws nothing (``--no-progress``, JSON output, no terminal).
    """
    tally: list[ProgressColumn] = (
        [DownloadColumn(), TransferSpeedColumn()] if counts == "bytes" else [MofNCompleteColumn()]
    )
    return Progress(
        TextColumn(description),
        BarColumn(),
        *tally,
        *extra,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        *after,
        console=console,
        disable=not enabled,
        transient=transient,
    )


def rate_bar(console: Console, unit: str = "img", enabled: bool = True) -> Progress:
    """The file-batch bar (translate, stylize --model): description, bar, done/total, ``unit``/s,
    elapsed, ETA."""
    return progress_bar(console, RateColumn(unit), enabled=enabled)


def format_losses(values: Mapping[str, float], keys: tuple[str, ...] | None = None) -> str:
    """``{"G": 0.5, "D": 0.25}`` -> ``"G 0.5 D 0.25"`` (3 significant digits; ``keys`` picks and orders)."""
    keys = keys or tuple(values)
    return " ".join(f"{k} {values[k]:.3g}" for k in keys if k in values)


class TrainProgress:
    """A context manager showing one task: a training run's optimizer steps, with epoch, it/s and losses.

    ``enabled=False`` (non-zero ranks) shows nothing. When the console is not a terminal (a background run
    writing to a file), a plain line is printed at most every ``plain_every_s`` seconds instead; its ETA is
    capped by the time limit ``max_minutes`` when there is one.
    """

    def __init__(
        self,
        console: Console,
        total_steps: int,
        start_step: int,
        total_epochs: int,
        *,
        enabled: bool = True,
        plain_every_s: float = 30.0,
        max_minutes: float | None = None,
    ) -> None:
        self.console = console
        self.enabled = enabled
        self.total_epochs = total_epochs
        self.total_steps = total_steps
        self.live = enabled and console.is_terminal
        self.plain_every_s = plain_every_s
        self.max_seconds = None if max_minutes is None else max_minutes * 60.0
        self._last_plain = 0.0
        self._t0 = time.perf_counter()
        self._start_step = start_step
        self.progress = progress_bar(
            console,
            TextColumn("{task.fields[rate]}"),
            description="[bold]epoch {task.fields[epoch]}",
            after=(TextColumn("{task.fields[losses]}"),),
            enabled=self.live,
        )
        self.task = self.progress.add_task(
            "train", total=total_steps, completed=start_step, epoch="-", rate="", losses=""
        )

    def __enter__(self) -> TrainProgress:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def update(self, step: int, epoch: int, losses: Mapping[str, float] | None = None) -> None:
        """Show ``step`` steps done, in 0-based ``epoch``, with the latest ``losses``."""
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self._t0
        done = step - self._start_step
        rate = done / elapsed if elapsed > 0 else 0.0
        text = format_losses(losses) if losses else None
        fields: dict[str, Any] = {"epoch": f"{epoch + 1}/{self.total_epochs}", "rate": f"{rate:.2f} it/s"}
        if text is not None:
            fields["losses"] = text
        self.progress.update(self.task, completed=step, **fields)
        if not self.live and time.perf_counter() - self._last_plain >= self.plain_every_s:
            self._last_plain = time.perf_counter()
            remaining = (self.total_steps - step) / rate if rate > 0 else float("nan")
            if self.max_seconds is not None:  # a time-bounded run ends at its limit
                remaining = min(remaining, max(0.0, self.max_seconds - elapsed))
            eta = time.strftime("%H:%M:%S", time.gmtime(remaining)) if remaining == remaining else "?"
            self.console.print(
                f"epoch {epoch + 1}/{self.total_epochs} step {step}/{self.total_steps} "
                f"{rate:.2f} it/s ETA {eta} {text or ''}",
                highlight=False,
            )

    def print(self, message: str) -> None:
        if self.enabled:
            self.console.print(message, highlight=False, soft_wrap=True)


class StepProgress:
    """Per-image optimisation steps (stylize, dream): ``with StepProgress(console, name, total) as p:
    p.update(done, label, text)``.

    ``done``: steps completed (1..total); ``label``: replaces the name in the display (e.g. 'photo.jpg
    512px'); ``text``: loss terms. ``plain`` forces plain lines (default: when the console is no terminal),
    printed about every 10% of the steps: ``photo.jpg 30% (90/300) 512px loss 1.2e+03 45 s``. With a
    ``stop``, ``update`` raises ``KeyboardInterrupt`` once Ctrl-C was pressed, so the optimisation ends
    after the step it reports (and hands out its current image as :class:`Interrupted`).
    """

    def __init__(
        self,
        console: Console,
        name: str,
        total: int,
        plain: bool | None = None,
        stop: StopControl | None = None,
    ) -> None:
        self.console, self.name, self.total, self.stop = console, name, max(1, total), stop
        self.plain = not console.is_terminal if plain is None else plain
        self._next = 1
        self._start = time.perf_counter()
        self._bar: Progress | None = None

    def __enter__(self) -> StepProgress:
        self._start = time.perf_counter()
        if not self.plain:
            self._bar = progress_bar(self.console, TextColumn("{task.fields[text]}"), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.name, total=self.total, text="")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)

    def update(self, done: int, label: str | None = None, text: str = "") -> None:
        self._show(done, label, text)
        if self.stop is not None:
            self.stop.stop_here()

    def _show(self, done: int, label: str | None, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, description=label or self.name, text=text)
            return
        percent = 100 * done // self.total
        if percent >= self._next * 10 or done == self.total:
            self._next = percent // 10 + 1
            elapsed = time.perf_counter() - self._start
            self.console.print(
                f"{label or self.name} {percent}% ({done}/{self.total}) {text} {elapsed:.0f} s".replace(
                    "  ", " "
                ),
                soft_wrap=True,
                markup=False,
                highlight=False,
            )

    def print(self, message: str) -> None:
        (self._bar.console if self._bar is not None else self.console).print(message, soft_wrap=True)


# ------------------------------------------------------------------------------------------- stopping
class StopControl:
    """Turns Ctrl-C (SIGINT) and a time limit into a request to stop at the next item or step boundary.

    The first Ctrl-C sets :attr:`interrupted`; the command finishes its item or step, keeps its results
    and returns. A second Ctrl-C raises ``KeyboardInterrupt`` at once. Use as a context manager: the
    previous SIGINT handler is restored on exit. Signal handlers can only be installed in the main thread;
    elsewhere Ctrl-C behaves as usual (``KeyboardInterrupt`` at the first one).
    """

    def __init__(self, max_minutes: float | None = None) -> None:
        self.max_seconds = None if max_minutes is None else max_minutes * 60.0
        self.interrupted = False
        self._start = time.monotonic()
        self._previous: Any = None
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True

    def __enter__(self) -> StopControl:
        self._start = time.monotonic()
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        except ValueError:  # not the main thread
            self._installed = False
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)

    @property
    def out_of_time(self) -> bool:
        return self.max_seconds is not None and time.monotonic() - self._start >= self.max_seconds

    @property
    def should_stop(self) -> bool:
        """This process wants to stop (training combines it over ranks with ``all_reduce_max``)."""
        return self.interrupted or self.out_of_time

    def stop_here(self) -> None:
        """Raise ``KeyboardInterrupt`` when a stop was requested: an optimisation loop's step callback
        calls it, and the loop hands its current image out as :class:`Interrupted`."""
        if self.interrupted:
            raise KeyboardInterrupt


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during an optimisation: ``image`` is the current result ((3, H, W) or (1, 3, H, W) tensor in
    [0, 1], on the CPU) and ``step`` the steps completed, so the caller can write it before exiting 130."""

    def __init__(self, image: Any, step: int) -> None:
        super().__init__(f"interrupted after {step} steps")
        self.image = image
        self.step = step
