"""Quality gates a shipped model must pass, read from its registry ``quality`` table (torch-free).

Each task declares its gates (:attr:`i2i.tasks.TaskSpec.gates`); every number comes from data the model
never trained on (``i2i eval``). Today:

=============  ==========================  =====================================================
task           quality key                 gate
=============  ==========================  =====================================================
cyclegan, cut  ``KID_ratio``               <= 0.6: KID to the real target over the untranslated
                                           inputs' KID, on held-back files (``held_out`` lists them)
pix2pix        ``KID``                     <= 0.25 against the held-out split's target photos
pix2pix        ``LPIPS_vgg``               <= 0.55
translation    ``checkerboard``            <= 1.5: period-2/4 spectral share, output over input
fast_style     ``near_black_percent``      < 0.1
fast_style     ``style_left_vs_gatys``     <= 1.5: style left (VGG16) over Gatys' optimisation's for the
                                           same painting and held-out photos (``i2i eval style --against``)
fast_style     ``style_left_alexnet_vs_    <= 1.5: the same ratio on AlexNet, a network neither method
               gatys``                     optimised (``style_ratio_alexnet_vs_against`` in the JSON)
=============  ==========================  =====================================================

A model that misses a gate can still be shipped with a reason: ``i2i models ship --force REASON`` records
``gate_override = REASON`` and ``gates_failed = "key, key"`` in its quality table, and
``tests/zoo`` checks that the recorded list is exactly what the gates find, so an override can neither hide
a new failure nor outlive a fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from i2i.errors import I2IError
from i2i.tasks import find

OVERRIDE_KEY = "gate_override"
FAILED_KEY = "gates_failed"
HELD_OUT_KEY = "held_out"


def gate_failures(task: str, quality: Mapping[str, Any]) -> dict[str, str]:
    """``{quality key: reason}`` for every gate of ``task`` the table misses (empty: all passed, or a task
    with no gates).

    A gate measured on held-back files (unpaired models' KID ratio) also needs the table to say which files
    were held back (``held_out``), or its number does not count as measured on unseen data.
    """
    spec = find(task)
    gates = spec.gates if spec else ()
    failures = {gate.key: reason for gate in gates if (reason := gate.check(quality)) is not None}
    for gate in gates:
        if gate.held_out and gate.key not in failures and not quality.get(HELD_OUT_KEY):
            failures[gate.key] = f"{gate.key} without a {HELD_OUT_KEY} file list (not on unseen data)"
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
