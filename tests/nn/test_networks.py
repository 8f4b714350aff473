"""Architectures: exact reference parameter counts, shapes, size multiples, registry behaviour, init."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from i2i.errors import I2IError
from i2i.nn import DISCRIMINATORS, GENERATORS, build_discriminator, build_generator, size_multiple
from i2i.nn.layers import batchnorm_to_instancenorm, count_parameters, init_weights, norm_layer
from i2i.nn.registry import Registry


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [
        ("resnet_6blocks", {}, 7_837_699),
        ("resnet_9blocks", {}, 11_378_179),
        ("unet_256", {"norm": "batch"}, 54_413_955),
        ("unet_128", {"norm": "batch"}, 41_828_995),
    ],
)
def test_generator_parameter_counts_match_reference(name, kwargs, expected):
    assert count_parameters(build_generator(name, **kwargs)) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({"in_channels": 3, "norm": "instance"}, 2_764_737), ({"in_channels": 6, "norm": "batch"}, 2_768_705)],
)
def test_patchgan_parameter_counts_match_reference(kwargs, expected):
    assert count_parameters(build_discriminator("basic", **kwargs)) == expected


def test_patchgan_output_is_30x30_at_256():
    d = build_discriminator("basic", in_channels=6, ndf=8)
    assert d(torch.zeros(2, 6, 256, 256)).shape == (2, 1, 30, 30)


def test_pixel_and_n_layers_discriminators():
    assert build_discriminator("pixel", ndf=4)(torch.zeros(1, 3, 16, 24)).shape == (1, 1, 16, 24)
    deep = build_discriminator("n_layers", n_layers=5, ndf=4)
    assert deep(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 6, 6)
    assert build_discriminator("n_layers", n_layers=3, ndf=4, norm="batch").model[0].in_channels == 3


@pytest.mark.parametrize(
    ("name", "kwargs", "hw"),
    [
        ("resnet_9blocks", {"ngf": 8}, (12, 20)),
        ("resnet", {"ngf": 8, "n_blocks": 2}, (8, 36)),
        ("unet_128", {"ngf": 4}, (128, 384)),
        ("unet", {"ngf": 4, "num_downs": 5}, (64, 32)),
        ("unet_256", {"ngf": 4, "norm": "instance"}, (256, 512)),
    ],
)
def test_generators_keep_any_multiple_and_non_square_shape(name, kwargs, hw):
    g = build_generator(name, **kwargs).eval()
    assert hw[0] % size_multiple(g) == 0 and hw[1] % size_multiple(g) == 0
    out = g(torch.rand(2, 3, *hw) * 2 - 1)
    assert out.shape == (2, 3, *hw)
    assert out.abs().max() <= 1.0


def test_size_multiples():
    assert size_multiple(build_generator("resnet_6blocks", ngf=4)) == 4
    assert size_multiple(build_generator("unet_128", ngf=4)) == 128
    assert size_multiple(build_generator("unet_256", ngf=4)) == 256
    assert size_multiple(build_generator("unet", ngf=4, num_downs=6)) == 64


def test_in_out_channels():
    g = build_generator("resnet_6blocks", ngf=4, in_channels=1, out_channels=2)
    assert g(torch.zeros(1, 1, 16, 16)).shape == (1, 2, 16, 16)


@pytest.mark.parametrize("norm", ["batch", "instance", "layer", "none"])
def test_norm_choices_build_the_right_layers(norm):
    g = build_generator("resnet_6blocks", ngf=4, norm=norm)
    kinds = {type(m) for m in g.modules()}
    assert (nn.BatchNorm2d in kinds) == (norm == "batch")
    assert (nn.InstanceNorm2d in kinds) == (norm == "instance")
    assert (nn.GroupNorm in kinds) == (norm == "layer")
    convs = [m for m in g.modules() if isinstance(m, nn.Conv2d)]
    assert all((c.bias is None) == (norm == "batch") for c in convs[:-1])


def test_unet_dropout_placement():
    for num_downs, expected in [(8, 3), (7, 2), (5, 0)]:
        g = build_generator("unet", num_downs=num_downs, ngf=4, use_dropout=True)
        assert sum(isinstance(m, nn.Dropout) for m in g.modules()) == expected
    assert not any(
        isinstance(m, nn.Dropout) for m in build_generator("unet_256", ngf=4, use_dropout=False).modules()
    )


def test_resnet_dropout_per_block():
    g = build_generator("resnet_6blocks", ngf=4, use_dropout=True)
    assert sum(isinstance(m, nn.Dropout) for m in g.modules()) == 6


def test_registry_lists_and_rejects():
    assert {"resnet_6blocks", "resnet_9blocks", "unet_128", "unet_256"} <= set(GENERATORS.names())
    assert {"basic", "n_layers", "pixel"} <= set(DISCRIMINATORS.names())
    with pytest.raises(I2IError, match=r"unknown generator 'resnet_7blocks'.*resnet_9blocks"):
        build_generator("resnet_7blocks")
    with pytest.raises(I2IError, match="bad arguments"):
        build_generator("resnet_9blocks", wings=2)
    reg: Registry[int] = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(ValueError, match="duplicate"):
        reg.register("a")(lambda: 2)


@pytest.mark.parametrize("init", ["normal", "xavier", "kaiming", "orthogonal"])
def test_init_schemes(init):
    torch.manual_seed(0)
    g = init_weights(build_generator("unet", num_downs=5, ngf=8), init, 0.02)
    conv = g.down[1][0]
    assert conv.weight.std().item() > 0
    norm = g.down[1][1]
    assert abs(norm.weight.mean().item() - 1.0) < 0.05 and norm.bias.abs().max() == 0
    if init == "normal":
        assert abs(conv.weight.std().item() - 0.02) < 0.002
    with pytest.raises(I2IError):
        init_weights(g, "uniformish")


def test_batchnorm_to_instancenorm_equals_per_image_train_mode_batchnorm():
    torch.manual_seed(0)
    g = build_generator("unet", num_downs=5, ngf=8, norm="batch", use_dropout=False)
    for m in g.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        expected = g.train()(x)
        got = batchnorm_to_instancenorm(g).eval()(x)
    assert (expected - got).abs().max().item() < 1e-5


def test_layer_norm_normalises_each_image_over_channels_and_space_together():
    norm = norm_layer("layer")(3)
    x = torch.randn(2, 3, 5, 7) * torch.tensor([1.0, 10.0, 100.0]).view(1, 3, 1, 1) + 4.0
    y = norm(x)
    per_image = y.flatten(1)
    assert torch.allclose(per_image.mean(1), torch.zeros(2), atol=1e-5)
    assert torch.allclose(per_image.var(1, unbiased=False), torch.ones(2), atol=1e-3)
    # unlike instance norm, the channels keep their relative scale
    spread = y.std(dim=(2, 3))
    assert (spread[:, 2] > 10 * spread[:, 0]).all()
    assert sum(p.numel() for p in norm.parameters()) == 6  # a scale and a shift per channel
