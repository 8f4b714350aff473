"""A tiny recipe for testing the harness on its own (and the shape a new recipe takes): a 1-block ResNet
learns to mirror 16x16 noise images. Knobs for the tests: ``blowup_at`` multiplies the loss it reports
from that step on, ``nan_at`` reports NaN at that step, ``scores`` are what the probe returns per step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from i2i import checkpoint
from i2i.nn import build_generator
from i2i.specs import ArchSpec
from i2i.train import harness
from i2i.train.config import RunConfig, option
from i2i.train.recipe import optimizer_step


@dataclass(frozen=True, kw_only=True)
class ToyConfig(RunConfig):
    data: str = option("noise", "Unused.")
    epochs: int = option(2, "Passes over the 8 images.")
    lr: float = option(1e-2, "Adam learning rate.")
    workers: int = option(0, "Data-loader worker processes.")
    log_every: int = option(1, "Steps between records.")
    blowup_at: int | None = option(None, "", cli=False)
    nan_at: int | None = option(None, "", cli=False)
    scores: tuple[float, ...] = option((), "", cli=False)


class Noise(Dataset):
    """8 fixed (3, 16, 16) images in [-1, 1]."""

    def __init__(self) -> None:
        self.images = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1

    def set_epoch(self, epoch: int) -> None:
        pass

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


class Toy(harness.Recipe[ToyConfig]):
    task = "toy"
    config_class = ToyConfig
    ema_modules = ("net",)
    guard_keys = ("loss",)
    progress_keys = ("loss",)
    curve_keys = ("loss",)
    metric_key = "eval_L1"
    arch = ArchSpec("resnet", {"n_blocks": 1, "ngf": 2})

    def build(self) -> None:
        self.train_set = Noise()
        self.data_name = "noise"
        self.modules = {"net": self.env.place(build_generator(self.arch.name, **self.arch.kwargs))}
        self.optimizers = {"net": torch.optim.Adam(self.modules["net"].parameters(), lr=self.cfg.lr)}

    def train_step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.env.batch(batch)
        opt = self.optimizers["net"]
        opt.zero_grad(set_to_none=True)
        loss = (self.nets["net"](x) - x.flip(-1)).abs().mean()
        optimizer_step(loss, opt, self.scalers["net"])
        step = self.env.step + 1
        reported = loss.detach()
        if self.cfg.blowup_at is not None and step >= self.cfg.blowup_at:
            reported = reported * 1e6
        if self.cfg.nan_at == step:
            reported = reported * float("nan")
        return {"loss": reported}

    def sample_rows(self) -> tuple[list[list[torch.Tensor]], list[str]]:
        x = self.train_set.images[:2]
        with torch.no_grad():
            y = self.inference("net")(x)
        return [[x[i], y[i]] for i in range(2)], ["input", "output"]

    def probe(self) -> dict[str, float] | None:
        if not self.cfg.scores:
            return None
        return {"eval_L1": self.cfg.scores[self.env.step - 1]}

    def artefacts(self) -> dict[str, tuple[nn.Module, Any]]:
        net = self.release_module("net")
        header = checkpoint.make_header(
            self.arch, net, task="toy", name="mirror", recipe=self.header_recipe()
        )
        return {"model": (net, header)}
