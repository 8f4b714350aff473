"""The translate run's progress bar: the shared layout (:mod:`i2i.progress`) with images/s (torch-free)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress

from i2i.progress import RateColumn, progress_bar

__all__ = ["RateColumn", "translate_progress"]


def translate_progress(console: Console, enabled: bool = True) -> Progress:
    """Progress bar: description, bar, done/total, images/s, elapsed, ETA."""
    return progress_bar(console, RateColumn("img"), enabled=enabled)
