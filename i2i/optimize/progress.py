"""Progress for per-image optimisation (stylize, dream): a Rich bar on a terminal, plain lines elsewhere.

Without a TTY (logs, CI, ``nohup``) a bar redraws into a mess, so progress prints as one plain line about
every 10% of the steps instead: ``photo.jpg 30% (90/300) 512px loss 1.2e+03 45 s``.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, TextColumn

from i2i.progress import progress_bar


class StepProgress:
    """``with StepProgress(console, name, total) as p: p.update(done, label, text)``.

    ``done``: steps completed (1..total); ``label``: replaces the name in the display (e.g. 'photo.jpg
    512px'); ``text``: loss terms. ``plain`` forces plain lines (default: when the console is no terminal).
    """

    def __init__(self, console: Console, name: str, total: int, plain: bool | None = None) -> None:
        self.console, self.name, self.total = console, name, max(1, total)
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


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during an optimisation: ``image`` is the current result ((3, H, W) or (1, 3, H, W) in [0, 1],
    on the CPU) and ``step`` the steps completed, so the caller can write it before exiting 130."""

    def __init__(self, image, step: int) -> None:
        super().__init__(f"interrupted after {step} steps")
        self.image = image
        self.step = step
