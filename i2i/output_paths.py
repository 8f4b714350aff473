"""Where per-image commands (dream, stylize) write their results, without ever overwriting an input.

Torch-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from i2i.errors import I2IError
from i2i.imageio import IMAGE_EXTENSIONS


def beside_input(source: Path, tag: str, suffix: str = ".png") -> Path:
    """``photo.jpg`` -> ``photo.<tag>.png`` beside it; ``photo.<tag>-1.png``, ``-2`` ... if that exists."""
    candidate = source.with_name(f"{source.stem}.{tag}{suffix}")
    n = 1
    while candidate.exists():
        candidate = source.with_name(f"{source.stem}.{tag}-{n}{suffix}")
        n += 1
    return candidate


def plan_outputs(
    inputs: Sequence[Path], output: Path | None, tag: str, overwrite: bool = False
) -> list[Path]:
    """One output path per input.

    No ``output``: beside each input (see :func:`beside_input`). ``output`` with an image suffix and a
    single input: that file. Otherwise ``output`` is a folder holding ``<stem>.<tag>.png`` per input.
    Raises I2IError when a target is an input, or exists and ``overwrite`` is false.
    """
    if output is None:
        targets = [beside_input(p, tag) for p in inputs]
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
