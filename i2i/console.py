"""The one console every command prints its messages to: stderr, so stdout stays for results (torch-free)."""

from __future__ import annotations

from rich.console import Console

#: Messages, progress bars and errors; markup on, automatic highlighting off.
console = Console(stderr=True, highlight=False)
