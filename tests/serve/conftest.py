"""Fixtures for the service tests: tiny models (hand-built, plus one real export) and their pool."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from i2i.serve.pool import ModelPool
from tests.serve.helpers import conv_model


@dataclass(frozen=True)
class Models:
    """``red2blue`` in both directions (two files, one name) and the fast-style ``mosaic``."""

    a2b: Path
    b2a: Path
    style: Path

    @property
    def all(self) -> tuple[str, ...]:
        return (str(self.a2b), str(self.b2a), str(self.style))


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Models:
    tmp = tmp_path_factory.mktemp("serve_models")
    pair = {"task": "cyclegan", "name": "red2blue", "domains": ["red", "blue"]}
    return Models(
        a2b=conv_model(tmp / "red2blue_AtoB.onnx", "swap", direction="AtoB", **pair),
        b2a=conv_model(tmp / "red2blue_BtoA.onnx", "swap", direction="BtoA", **pair),
        style=conv_model(tmp / "mosaic.onnx", "style", task="fast_style", name="mosaic"),
    )


@pytest.fixture(scope="session")
def exported_model(tmp_path_factory) -> Path:
    """A real export (resnet_6blocks, ngf=4, instance norm) through i2i.checkpoint and export_checkpoint."""
    import torch

    from i2i import checkpoint
    from i2i.export import export_checkpoint
    from i2i.nn import build_generator
    from i2i.specs import ArchSpec

    tmp = tmp_path_factory.mktemp("serve_export")
    torch.manual_seed(0)
    module = build_generator("resnet_6blocks", ngf=4)
    header = checkpoint.make_header(
        ArchSpec("resnet_6blocks", {"ngf": 4}),
        module,
        task="cyclegan",
        direction="AtoB",
        name="tiny_resnet",
        domains=("a", "b"),
    )
    ckpt = checkpoint.save(tmp / "tiny_resnet.pt", module, header)
    return export_checkpoint(ckpt, tmp / "tiny_resnet.onnx").path


@pytest.fixture(scope="session")
def pool(models) -> ModelPool:
    return ModelPool.load(models.all, device="cpu", threads=1)
