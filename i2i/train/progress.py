"""Progress display and stopping: a Rich bar with epoch, step, it/s, ETA and the latest losses; Ctrl-C and
time limits turned into a clean stop at the next step boundary.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Mapping
from types import FrameType, TracebackType
from typing import Any

from rich.console import Console
from rich.progress import TextColumn

from i2i.progress import progress_bar


def format_losses(values: Mapping[str, float], keys: tuple[str, ...] | None = None) -> str:
    keys = keys or tuple(values)
    return " ".join(f"{k} {values[k]:.3g}" for k in keys if k in values)


class TrainProgress:
    """A context manager around ``rich.progress.Progress`` showing one task: the run's optimizer steps.

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


class StopControl:
    """Turns Ctrl-C (SIGINT) and a time limit into a request to stop at the next step boundary.

    The first Ctrl-C sets :attr:`interrupted`; the loop finishes its step, saves the resumable state and
    returns. A second Ctrl-C raises ``KeyboardInterrupt`` at once. Use as a context manager: the previous
    SIGINT handler is restored on exit. Signal handlers can only be installed in the main thread; elsewhere
    Ctrl-C behaves as usual.
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
        """This process wants to stop (combine over ranks with ``all_reduce_max``)."""
        return self.interrupted or self.out_of_time
