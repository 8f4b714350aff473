"""Where per-image commands (dream, stylize) write their results, without ever overwriting an input.

Torch-free. The default place is beside each input, except where that folder is inside the installed
``i2i`` package (the bundled samples and styles) or is not writable: then the current folder is used and
the caller is told why, so nothing is ever written into the package.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from i2i.errors import I2IError
from i2i.imageio import IMAGE_EXTENSIONS
from i2i.user_dirs import package_dir


def default_folder(source: Path) -> tuple[Path, str | None]:
    """(folder, reason): the input's own folder, or the current folder with the reason it was not used."""
    folder = source.parent
    resolved = folder.resolve()
    if resolved == package_dir() or package_dir() in resolved.parents:
        return Path.cwd(), f"{folder} is inside the installed i2i package"
    if resolved.is_dir() and not os.access(resolved, os.W_OK | os.X_OK):
        return Path.cwd(), f"{folder} is not writable"
    return folder, None


def beside_input(source: Path, tag: str, suffix: str = ".png", folder: Path | None = None) -> Path:
    """``photo.jpg`` -> ``photo.<tag>.png`` in ``folder`` (default: beside it); ``photo.<tag>-1.png``,
    ``-2`` ... if that exists."""
    folder = source.parent if folder is None else folder
    candidate = folder / f"{source.stem}.{tag}{suffix}"
    n = 1
    while candidate.exists():
        candidate = folder / f"{source.stem}.{tag}-{n}{suffix}"
        n += 1
    return candidate


def plan_outputs(
    inputs: Sequence[Path],
    output: Path | None,
    tag: str,
    overwrite: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> list[Path]:
    """One output path per input.

    No ``output``: beside each input (see :func:`beside_input`), or in the current folder where the
    input's folder is inside the package or not writable (``on_note`` gets one line saying so).
    ``output`` with an image suffix and a single input: that file. Otherwise ``output`` is a folder
    holding ``<stem>.<tag>.png`` per input. Raises I2IError when a target is an input, or exists and
    ``overwrite`` is false.
    """
    if output is None:
        targets, noted = [], set()
        for source in inputs:
            folder, reason = default_folder(source)
            if reason is not None and on_note is not None and reason not in noted:
                noted.add(reason)
                on_note(f"{reason}: writing the results to the current folder {folder}")
            targets.append(beside_input(source, tag, folder=folder))
    elif output.suffix.lower() in IMAGE_EXTENSIONS and not output.is_dir():
        if len(inputs) != 1:
            raise I2IError(f"{output}: one output file for {len(inputs)} inputs; give a folder instead")
        targets = [output]
    else:
        targets = [output / f"{p.stem}.{tag}.png" for p in inputs]
    resolved_inputs = {p.resolve() for p in inputs}
    for target in targets:
        if target.resolve() in resolved_inputs:
            raise I2IError(f"{target}: output would overwrite an input")
        if target.exists() and not overwrite:
            raise I2IError(f"{target}: exists (use --overwrite to replace it)")
    if len({t.resolve() for t in targets}) != len(targets):
        raise I2IError(
            "two inputs would write the same output name; give them different names or one at a time"
        )
    return targets


def split_missing(inputs: Sequence[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(inputs that are files, [(path, reason)] for the rest), checked before any network is built.

    Raises:
        I2IError: none of the inputs is a file (one line naming the first).
    """
    present = [p for p in inputs if p.is_file()]
    missing = [
        (p, f"{p}: a folder, not an image" if p.is_dir() else f"{p}: no such file")
        for p in inputs
        if not p.is_file()
    ]
    if not present:
        more = f" (and {len(missing) - 1} more inputs)" if len(missing) > 1 else ""
        raise I2IError(missing[0][1] + more)
    return present, missing


def failure_lines(failures: Sequence[tuple[Path, str]], total: int) -> list[str]:
    """The end-of-run report: a heading and one line per failed input (its path once)."""
    lines = [f"{len(failures)} of {total} inputs failed:"]
    for path, reason in failures:
        lines.append(f"  {reason}" if str(path) in reason else f"  {path}: {reason}")
    return lines
