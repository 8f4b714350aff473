"""The one Rich progress-bar layout every long command uses (torch-free).

``progress_bar(console)`` gives: description, bar, done/total (or bytes and transfer speed), any extra
columns, elapsed time and ETA, then any trailing columns. Commands differ only in those extras (images/s
for translate, loss terms for training and optimisation), so the bars look and behave the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

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
