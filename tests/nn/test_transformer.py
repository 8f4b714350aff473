"""Johnson transformer network: parameter count, shapes, value range, registry and checkpoint round trip."""

from __future__ import annotations

import pytest
import torch

from i2i import checkpoint
from i2i.nn import build_generator, size_multiple
from i2i.nn.layers import count_parameters
from i2i.nn.transformer import TransformerNet
from i2i.specs import ArchSpec


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
    assert out.abs().max() <= 150 / 127.5


def test_black_and_white_do_not_need_a_saturated_tanh():
    # Johnson's 150 * tanh (0-255 scale): the output reaches -1 and 1 at |tanh| = 0.85, where the gradient
    # is still 1 - 0.85^2 = 0.28 of its peak, so dark regions keep learning.
    head = TransformerNet().decoder[-1]
    x = torch.tensor([-1.26, 1.26], requires_grad=True)  # atanh(127.5 / 150) = 1.256
    y = head(x)
    y.sum().backward()
    assert y[0] < -1 and y[1] > 1
    assert (x.grad > 0.3).all()
    assert TransformerNet(output_scale=1.0)(torch.rand(1, 3, 16, 16) * 2 - 1).abs().max() <= 1


def test_checkpoint_round_trip(tmp_path):
    net = build_generator("johnson").eval()
    header = checkpoint.make_header(ArchSpec("johnson", {}), net, task="fast_style", name="starry")
    path = checkpoint.save(tmp_path / "model.pt", net, header)
    loaded = checkpoint.load(path)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert loaded.header.task == "fast_style" and loaded.header.io.size_multiple == 4
    torch.testing.assert_close(loaded.module(x), net(x), rtol=0, atol=0)


def test_encoder_only_norm_keeps_instance_norm_out_of_the_residual_blocks_and_decoder():
    net = TransformerNet(norm="encoder")
    norms = [name for name, m in net.named_modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    assert norms and all(name.startswith("encoder.") for name in norms)
    assert len(norms) == 3
    # Only the affine (scale, shift) pairs of the 2 x 5 residual and 2 decoder norms go.
    dropped = 2 * (5 * 2 * 128 + 64 + 32)
    assert count_parameters(net) == 1_679_235 - dropped
    out = net(torch.rand(1, 3, 32, 32) * 2 - 1)
    assert out.shape == (1, 3, 32, 32) and out.abs().max() <= 150 / 127.5
    with pytest.raises(ValueError, match="norm must be one of"):
        TransformerNet(norm="batch")


def test_encoder_only_norm_round_trips_through_a_checkpoint(tmp_path):
    spec = ArchSpec("johnson", {"ngf": 8, "n_blocks": 2, "norm": "encoder"})
    net = build_generator(spec.name, **spec.kwargs).eval()
    path = checkpoint.save(
        tmp_path / "model.pt", net, checkpoint.make_header(spec, net, task="fast_style", name="starry")
    )
    loaded = checkpoint.load(path)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    torch.testing.assert_close(loaded.module(x), net(x), rtol=0, atol=0)


def test_encoder_only_norm_starts_with_identity_residual_blocks_and_a_live_output():
    torch.manual_seed(0)
    net = TransformerNet(norm="encoder")
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        h = net.encoder(x)
        torch.testing.assert_close(net.residual(h), h, rtol=0, atol=0)
        # PyTorch's default init would leave the unnormalised decoder's output grey (std ~0.06).
        assert net(x).std() > 0.2


def test_pad_runs_the_network_on_the_reflection_padded_input_and_crops_it_back():
    torch.manual_seed(0)
    plain = TransformerNet(ngf=8, n_blocks=2, norm="encoder").eval()
    padded = TransformerNet(ngf=8, n_blocks=2, norm="encoder", pad=8).eval()
    padded.load_state_dict(plain.state_dict())  # the pad adds no parameters
    x = torch.rand(2, 3, 24, 36) * 2 - 1
    with torch.no_grad():
        got = padded(x)
        reflect4 = torch.nn.functional.pad(x, (4, 4, 4, 4), mode="reflect")
        by_hand = plain(torch.nn.functional.pad(reflect4, (4, 4, 4, 4), mode="reflect"))[..., 8:-8, 8:-8]
        assert not torch.allclose(got, plain(x))  # the borders (and the encoder's statistics) differ
        tiny = padded(torch.zeros(1, 3, 8, 8))  # the runtime's smallest side: one reflection of 8 fails
    assert got.shape == x.shape and tiny.shape == (1, 3, 8, 8)
    torch.testing.assert_close(got, by_hand)


@pytest.mark.parametrize("pad", [-4, 6])
def test_pad_must_be_a_non_negative_multiple_of_4(pad):
    with pytest.raises(ValueError, match="multiple of 4"):
        TransformerNet(pad=pad)


def test_pad_round_trips_through_a_checkpoint(tmp_path):
    spec = ArchSpec("johnson", {"ngf": 8, "n_blocks": 1, "pad": 4})
    net = build_generator(spec.name, **spec.kwargs)
    header = checkpoint.make_header(spec, net, task="fast_style")
    loaded = checkpoint.load(checkpoint.save(tmp_path / "p.pt", net, header))
    assert loaded.module.pad == 4 and loaded.header.io.size_multiple == 4
