"""The divergence guard (``--diverge-factor``): stop before a blown-up run overwrites anything good.

A run has diverged when a logged loss is NaN or infinite, or when a watched loss (the recipe's total
generator loss) exceeds ``factor`` times the median of its last ``window`` logged values. The median
needs ``warmup`` values first, and is only compared when it is positive (a WGAN critic's loss may be
negative). Logged values are means over a log interval, so one noisy step does not trip it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any


class DivergenceGuard:
    """Feed each logged record to :meth:`check`; it returns why the run diverged, or None."""

    def __init__(self, factor: float, keys: Sequence[str], window: int = 20, warmup: int = 5) -> None:
        self.factor = factor
        self.keys = tuple(keys)
        self.window = window
        self.warmup = warmup
        self.history: dict[str, list[float]] = {k: [] for k in self.keys}

    def check(self, values: Mapping[str, float], remember: bool = True) -> str | None:
        """Why ``values`` (one logged record) show divergence, or None. ``remember=False`` checks values
        that are not a record (the partial interval before a save) without adding them to the history."""
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            return f"{', '.join(bad)} became NaN/inf"
        for key in self.keys:
            if key not in values:
                continue
            seen = self.history[key]
            if len(seen) >= self.warmup:
                median = statistics.median(seen)
                if median > 0 and values[key] > self.factor * median:
                    return (
                        f"{key} {values[key]:.4g} is above {self.factor:g} x its running median "
                        f"{median:.4g} (--diverge-factor)"
                    )
        for key in self.keys:
            if remember and key in values:
                self.history[key] = [*self.history[key], float(values[key])][-self.window :]
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"history": {k: list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for key, values in state.get("history", {}).items():
            if key in self.history:
                self.history[key] = [float(v) for v in values][-self.window :]
