"""Johnson transformer network: parameter count, shapes, value range, registry and checkpoint round trip."""

from __future__ import annotations

import torch

from i2i import checkpoint
from i2i.config import ArchSpec
from i2i.nn import build_generator, size_multiple
from i2i.nn.layers import count_parameters
from i2i.nn.transformer import TransformerNet


def test_parameter_count_and_layout():
    net = TransformerNet()
    assert count_parameters(net) == 1_679_235  # the PyTorch fast_neural_style example's count
    assert sum(isinstance(m, torch.nn.Upsample) for m in net.modules()) == 2
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in net.modules())  # no checkerboards
    assert count_parameters(TransformerNet(ngf=16, n_blocks=3)) < 1_679_235 / 3


def test_shapes_and_range():
    net = build_generator("johnson")
    assert size_multiple(net) == 4
    out = net(torch.rand(2, 3, 64, 48) * 2 - 1)
    assert out.shape == (2, 3, 64, 48)
    assert out.min() >= -1 and out.max() <= 1


def test_checkpoint_round_trip(tmp_path):
    net = build_generator("johnson").eval()
    header = checkpoint.make_header(ArchSpec("johnson", {}), net, task="fast_style", name="starry")
    path = checkpoint.save(tmp_path / "model.pt", net, header)
    loaded = checkpoint.load(path)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert loaded.header.task == "fast_style" and loaded.header.io.size_multiple == 4
    torch.testing.assert_close(loaded.module(x), net(x), rtol=0, atol=0)
