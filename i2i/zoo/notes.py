"""What a user should know when a shipped model runs (torch-free).

The shipped CycleGAN, CUT and pix2pix models were trained briefly on a CPU to prove the pipeline; the
published generators of the reference authors are far better. :func:`shipped_model_note` says so, in one
line, with the command that fetches the published model when there is one of the same name.
"""

from __future__ import annotations

from i2i.errors import I2IError
from i2i.tasks import find
from i2i.zoo.entry import ModelEntry


def fetch_official_command(entry: ModelEntry) -> str | None:
    """``i2i models fetch-official NAME [--task T]`` for the published model of ``entry``'s name, if any."""
    from i2i.zoo.official import CATALOG

    same_name = [m for m in CATALOG if m.name == entry.name]
    if not same_name:
        return None
    task_flag = f" --task {entry.task}" if len(same_name) > 1 else ""
    return f"i2i models fetch-official {entry.name}{task_flag}"


def shipped_model_note(entry: ModelEntry) -> str | None:
    """One line for a shipped stand-in model (a task declared ``stand_in``); ``None`` for user models and
    other tasks."""
    spec = find(entry.task)
    if entry.origin != "shipped" or spec is None or not spec.stand_in:
        return None
    line = (
        f"{entry.name} is a small model trained on a CPU to show the pipeline, not the published quality "
        f"(`i2i models show {entry.name}`)"
    )
    fetch = fetch_official_command(entry)
    return f"{line}; `{fetch}` gets the published one" if fetch else line


def note_for_model_argument(model: str, direction: str | None = None) -> str | None:
    """:func:`shipped_model_note` for a ``--model`` value that names a registry model; ``None`` for files."""
    from i2i.zoo.store import load_zoo

    try:
        return shipped_model_note(load_zoo().resolve(model, direction))
    except I2IError:
        return None
