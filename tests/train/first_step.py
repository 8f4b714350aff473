"""The gradients of a training run's first step, as the run really computes them, and a float64 reference.

:func:`first_step_gradients` runs ``harness.train`` for one step with every ``torch.optim.Adam.step``
replaced by a recorder that keeps the gradients it is handed (first call per optimizer) and does not move
the weights, so every gradient of the step is taken at the initial weights. ``float64=True`` runs the same
step in float64 NCHW: after ``build`` (at ``wrap``) every network, frozen feature network and tensor the
recipe holds is converted to float64, and ``Precision.prepare_input`` (what ``env.batch`` and validation
call) hands over float64 batches. Only public hooks the
harness has had since before the run-start gradient check are used, so the same test runs on old code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from rich.console import Console
from torch import nn

from i2i.amp import Precision
from i2i.train import harness


def _to_float64(value: Any) -> Any:
    if isinstance(value, nn.Module):
        return value.double()
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.double()
    if isinstance(value, dict):
        return {k: _to_float64(v) for k, v in value.items()}
    return value


def first_step_gradients(
    monkeypatch: pytest.MonkeyPatch,
    recipe_class: type[harness.Recipe[Any]],
    cfg: Any,
    run_dir: Path,
    *,
    float64: bool = False,
) -> dict[str, torch.Tensor]:
    """Per trained network (``recipe.modules``), its flattened first-step gradient as float64 on the CPU.

    ``cfg``: the run's config (``max_steps`` is set to 1 here). Raises what the run raises (for example the
    gradient check's I2IError when a precision asked for by name gives wrong gradients)."""
    recipes: list[harness.Recipe[Any]] = []
    seen: dict[int, torch.Tensor] = {}
    original_wrap = recipe_class.wrap

    def wrap(self: harness.Recipe[Any], wrapper: Any) -> dict[str, nn.Module]:
        if float64:
            for key, value in list(vars(self).items()):
                if key not in ("env", "cfg", "optimizers", "scalers", "nets"):
                    setattr(self, key, _to_float64(value))
        recipes.append(self)
        return original_wrap(self, wrapper)

    def step(self: torch.optim.Optimizer, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and id(p) not in seen:
                    seen[id(p)] = p.grad.detach().double().cpu().flatten()

    monkeypatch.setattr(recipe_class, "wrap", wrap)
    monkeypatch.setattr(torch.optim.Adam, "step", step)
    if float64:
        original_input = Precision.prepare_input
        monkeypatch.setattr(Precision, "prepare_input", lambda prec, x: original_input(prec, x).double())
    from dataclasses import replace

    harness.train(recipe_class, replace(cfg, max_steps=1), run_dir=run_dir, console=Console(quiet=True))
    recipe = recipes[-1]
    out = {}
    for name, module in recipe.modules.items():
        parts = [seen.get(id(p), torch.zeros(p.numel(), dtype=torch.float64)) for p in module.parameters()]
        out[name] = torch.cat(parts)
    return out


def cosine_and_error(grad: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    """(cosine similarity, relative norm error ``|g - ref| / |ref|``) of two flattened gradients."""
    cosine = float(grad @ reference / (grad.norm() * reference.norm()))
    return cosine, float((grad - reference).norm() / reference.norm())


def sign_disagreement(grad: torch.Tensor, reference: torch.Tensor) -> float:
    """Share of the entries whose gradient sign differs from the reference's (Adam's first step moves
    every weight by about lr against its gradient's sign)."""
    return float((torch.sign(grad) != torch.sign(reference)).double().mean())
