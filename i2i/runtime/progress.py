"""A Rich progress bar for translate runs: count, images/s and ETA (torch-free)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """``12.3 img/s`` (``-`` until there is a rate)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("- img/s" if speed is None else f"{speed:.2f} img/s", style="progress.data.speed")


def translate_progress(console: Console, enabled: bool = True) -> Progress:
    """Progress bar: description, bar, done/total, images/s, elapsed, ETA."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )
