"""Isolated registries and tiny exported models for the named-model tests (fixtures imported by
tests/zoo/conftest.py and tests/cli/test_models.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Env:
    weights: Path
    user: Path
    cache: Path


@pytest.fixture
def zoo_env(tmp_path, monkeypatch) -> Env:
    """Empty shipped weights dir, user models dir and cache, all under tmp_path (env vars set)."""
    from i2i.zoo.verify import clear_memo

    env = Env(tmp_path / "weights", tmp_path / "user", tmp_path / "cache")
    env.weights.mkdir()
    monkeypatch.setenv("I2I_WEIGHTS_DIR", str(env.weights))
    monkeypatch.setenv("I2I_MODELS_DIR", str(env.user))
    monkeypatch.setenv("XDG_CACHE_HOME", str(env.cache))
    clear_memo()
    yield env
    clear_memo()


def _export(folder: Path, direction: str, domains: tuple[str, str]) -> tuple[Path, Path]:
    """A tiny CycleGAN-style generator (resnet_6blocks, ngf 4): its checkpoint and verified export."""
    import torch

    from i2i import checkpoint
    from i2i.export import export_checkpoint
    from i2i.nn import build_generator
    from i2i.specs import ArchSpec

    torch.manual_seed(0 if direction == "AtoB" else 1)
    arch = ArchSpec("resnet_6blocks", {"ngf": 4})
    module = build_generator(arch.name, **arch.kwargs)
    name = f"{domains[0]}2{domains[1]}"
    header = checkpoint.make_header(
        arch, module, task="cyclegan", direction=direction, name=name, domains=domains,
        recipe={"data_name": "apple2orange", "step": 2},
    )  # fmt: skip
    ckpt = checkpoint.save(folder / f"{name}.pt", module, header)
    return ckpt, export_checkpoint(ckpt).path


@dataclass(frozen=True)
class Tiny:
    ckpt_ab: Path
    onnx_ab: Path
    ckpt_ba: Path
    onnx_ba: Path


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Tiny:
    """apple2orange (AtoB) and orange2apple (BtoA) tiny exports, made once per session."""
    folder = tmp_path_factory.mktemp("tiny_zoo")
    ab = _export(folder, "AtoB", ("apple", "orange"))
    ba = _export(folder, "BtoA", ("orange", "apple"))
    return Tiny(*ab, *ba)


PROVENANCE = {
    "dataset": "apple2orange",
    "recipe": "cyclegan",
    "command": "i2i train cyclegan apple2orange --max-steps 2",
    "steps": 2,
    "hardware": "test",
    "date": "2025-01-01",
}
