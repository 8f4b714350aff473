"""Quality gates a shipped model must pass, read from its registry ``quality`` table (torch-free).

Every number comes from data the model never trained on (``i2i eval``):

=============  ==========================  =====================================================
task           quality key                 gate
=============  ==========================  =====================================================
cyclegan, cut  ``KID_ratio``               <= 0.6: KID to the real target over the untranslated
                                           inputs' KID, on held-back files (``held_out`` lists them)
pix2pix        ``KID``                     <= 0.25 against the held-out split's target photos
pix2pix        ``LPIPS_vgg``               <= 0.55
translation    ``checkerboard``            <= 1.5: period-2/4 spectral share, output over input
fast_style     ``near_black_percent``      < 0.1
fast_style     ``style_left_percent``      <= 5.95 (the first shipped starry model's figure)
=============  ==========================  =====================================================

A model that misses a gate can still be shipped with a reason: ``i2i models ship --force REASON`` records
``gate_override = REASON`` and ``gates_failed = "key, key"`` in its quality table, and
``tests/zoo`` checks that the recorded list is exactly what the gates find, so an override can neither hide
a new failure nor outlive a fix.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from i2i.errors import I2IError

TRANSLATION_TASKS = ("pix2pix", "cyclegan", "cut")
OVERRIDE_KEY = "gate_override"
FAILED_KEY = "gates_failed"
HELD_OUT_KEY = "held_out"


@dataclass(frozen=True)
class Gate:
    """``quality[key] <op> limit`` for models of ``tasks``."""

    key: str
    tasks: tuple[str, ...]
    op: str  # "<=" or "<"
    limit: float

    def applies(self, task: str) -> bool:
        return task in self.tasks

    def check(self, quality: Mapping[str, Any]) -> str | None:
        """``None`` when passed, else why not (``"KID_ratio 1.39 > 0.6"``, ``"KID_ratio not measured"``)."""
        value = quality.get(self.key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"{self.key} not measured"
        compare: Callable[[float, float], bool] = operator.le if self.op == "<=" else operator.lt
        if compare(float(value), self.limit):
            return None
        return f"{self.key} {value:g} {'>' if self.op == '<=' else '>='} {self.limit:g}"


GATES: tuple[Gate, ...] = (
    Gate("KID_ratio", ("cyclegan", "cut"), "<=", 0.6),
    Gate("KID", ("pix2pix",), "<=", 0.25),
    Gate("LPIPS_vgg", ("pix2pix",), "<=", 0.55),
    Gate("checkerboard", TRANSLATION_TASKS, "<=", 1.5),
    Gate("near_black_percent", ("fast_style",), "<", 0.1),
    Gate("style_left_percent", ("fast_style",), "<=", 5.95),
)


def gate_failures(task: str, quality: Mapping[str, Any]) -> dict[str, str]:
    """``{quality key: reason}`` for every gate of ``task`` the table misses (empty: all passed).

    Unpaired models must also say which files were held back (``held_out``), or their KID ratio does not
    count as measured on unseen data.
    """
    failures = {}
    for gate in GATES:
        if gate.applies(task) and (reason := gate.check(quality)) is not None:
            failures[gate.key] = reason
    if task in ("cyclegan", "cut") and "KID_ratio" not in failures and not quality.get(HELD_OUT_KEY):
        failures["KID_ratio"] = f"KID_ratio without a {HELD_OUT_KEY} file list (not on unseen data)"
    return failures


def recorded_failures(quality: Mapping[str, Any]) -> list[str]:
    """The gate keys an override recorded (``gates_failed = "KID, LPIPS_vgg"``), in order."""
    text = quality.get(FAILED_KEY, "")
    return [k.strip() for k in str(text).split(",") if k.strip()]


def gated_quality(task: str, quality: Mapping[str, Any], force: str | None = None) -> dict[str, Any]:
    """The quality table to ship: unchanged when every gate passes, else with the override recorded.

    Raises:
        I2IError: a gate failed and no ``force`` reason was given (the message lists every failure).
    """
    table = {k: v for k, v in quality.items() if k not in (OVERRIDE_KEY, FAILED_KEY)}
    failures = gate_failures(task, table)
    if not failures:
        return table
    if not force:
        raise I2IError(
            f"the {task} quality gates are not met: {'; '.join(failures.values())} "
            "(measure with `i2i eval` on held-out data and pass --quality KEY=VALUE, or ship anyway with "
            "--force REASON, which records the reason)"
        )
    return {**table, OVERRIDE_KEY: force, FAILED_KEY: ", ".join(failures)}
