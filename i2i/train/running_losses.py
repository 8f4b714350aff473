"""The losses of the steps since the last log record: kept on the device until read, then averaged.

Reading a loss tensor back to the host waits for the device, so steps append their 0-d loss tensors
unread and :meth:`RunningLosses.read` turns every pending step into host floats in one sync (at log steps,
epoch ends and before anything is saved). The recipe's monitor sees each step's values then, in order.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from i2i.train.distributed import DistContext, all_reduce_mean


class RunningLosses:
    """Pending per-step loss tensors, the last step's values, and their means since :meth:`reset`."""

    def __init__(self, ctx: DistContext, monitor: Callable[[dict[str, float]], None]) -> None:
        self.ctx = ctx
        self.monitor = monitor
        self.pending: list[dict[str, torch.Tensor]] = []
        self.latest: dict[str, float] = {}
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, losses: dict[str, torch.Tensor]) -> None:
        """One step's 0-d loss tensors, left unread."""
        self.pending.append(losses)

    def read(self) -> None:
        """Read the pending steps' values to the host in one sync; feed the sums and the monitor."""
        if not self.pending:
            return
        keys = list(self.pending[-1])
        device = self.ctx.device
        table = torch.stack(
            [torch.stack([torch.as_tensor(p[k], device=device).float() for k in keys]) for p in self.pending]
        ).tolist()
        self.pending.clear()
        for row in table:
            self.latest = dict(zip(keys, row, strict=True))
            for key, value in self.latest.items():
                self.sums[key] = self.sums.get(key, 0.0) + float(value)
            self.count += 1
            self.monitor(self.latest)

    def means(self) -> dict[str, float]:
        """This rank's means since the last :meth:`reset`."""
        return {k: v / max(1, self.count) for k, v in self.sums.items()}

    def mean_over_ranks(self) -> dict[str, float]:
        """The means over every rank (the same on each)."""
        return all_reduce_mean(self.means(), self.ctx)

    def reset(self) -> None:
        self.sums, self.count = {}, 0
