"""i2i's networks compute exactly what the reference implementation computed (shared fixtures)."""

from __future__ import annotations

import json

import pytest
import torch

from i2i.errors import I2IError
from i2i.nn import build_discriminator, build_generator
from i2i.nn.layers import batchnorm_to_instancenorm, count_parameters
from i2i.nn.reference import convert_reference_state_dict, load_reference_state_dict

# fixture name -> (builder, registry name, kwargs)
FIXTURES = {
    "resnet_9blocks_ngf16_instance": (build_generator, "resnet_9blocks", {"ngf": 16, "norm": "instance"}),
    "resnet_9blocks_ngf16_instance_legacy_keys": (
        build_generator,
        "resnet_9blocks",
        {"ngf": 16, "norm": "instance"},
    ),
    "resnet_6blocks_ngf16_instance_dropout": (
        build_generator,
        "resnet_6blocks",
        {"ngf": 16, "norm": "instance", "use_dropout": True},
    ),
    "unet_256_ngf8_batch_dropout": (
        build_generator,
        "unet_256",
        {"ngf": 8, "norm": "batch", "use_dropout": True},
    ),
    "unet_128_ngf8_instance": (
        build_generator,
        "unet_128",
        {"ngf": 8, "norm": "instance", "use_dropout": False},
    ),
    "patchgan_basic_ndf16_batch_6ch": (
        build_discriminator,
        "basic",
        {"ndf": 16, "norm": "batch", "in_channels": 6},
    ),
}
TOL = 1e-5


def _load(shared_fixtures, name):
    data = torch.load(shared_fixtures / f"{name}.pt", weights_only=True)
    builder, arch, kwargs = FIXTURES[name]
    net = load_reference_state_dict(builder(arch, **kwargs), data["state_dict"]).eval()
    return net, data


def test_every_fixture_is_covered(shared_fixtures):
    described = {
        k for k in json.loads((shared_fixtures / "fixtures.json").read_text()) if not k.startswith("_")
    }
    assert described == set(FIXTURES)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_parameter_count(shared_fixtures, name):
    meta = json.loads((shared_fixtures / "fixtures.json").read_text())[name]
    net, _ = _load(shared_fixtures, name)
    assert count_parameters(net) == meta["parameters"]


@pytest.mark.parametrize("name", sorted(n for n in FIXTURES if n != "unet_256_ngf8_batch_dropout"))
def test_fixture_output_matches_reference(shared_fixtures, name):
    net, data = _load(shared_fixtures, name)
    with torch.no_grad():
        out = net(data["input"])
    assert out.shape == data["output"].shape
    assert (out - data["output"]).abs().max().item() < TOL


def test_unet_batchnorm_eval_and_per_image_statistics(shared_fixtures):
    net, data = _load(shared_fixtures, "unet_256_ngf8_batch_dropout")
    with torch.no_grad():
        eval_out = net(data["input"])
        assert (eval_out - data["output_eval"]).abs().max().item() < TOL
        converted = batchnorm_to_instancenorm(net).eval()
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in converted.modules())
        inst_out = converted(data["input"])
    assert (inst_out - data["output_batch_statistics"]).abs().max().item() < TOL
    # The two modes really differ, so the check above is not vacuous.
    assert (data["output_eval"] - data["output_batch_statistics"]).abs().max().item() > 1e-3


def test_wrong_architecture_is_refused(shared_fixtures):
    data = torch.load(shared_fixtures / "resnet_9blocks_ngf16_instance.pt", weights_only=True)
    with pytest.raises(I2IError, match="layers"):
        convert_reference_state_dict(data["state_dict"], build_generator("resnet_6blocks", ngf=16))
    with pytest.raises(I2IError, match="shape"):
        convert_reference_state_dict(data["state_dict"], build_generator("resnet_9blocks", ngf=8))


def test_dataparallel_prefix_is_accepted(shared_fixtures):
    data = torch.load(shared_fixtures / "resnet_9blocks_ngf16_instance.pt", weights_only=True)
    prefixed = {f"module.{k}": v for k, v in data["state_dict"].items()}
    net = load_reference_state_dict(build_generator("resnet_9blocks", ngf=16), prefixed).eval()
    with torch.no_grad():
        assert (net(data["input"]) - data["output"]).abs().max().item() < TOL
