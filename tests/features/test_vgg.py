"""VGG taps: names, shapes, truncation after the deepest tap, frozen parameters, normalisation, fallback."""

from __future__ import annotations

import pytest
import torch

from i2i.errors import I2IError
from i2i.features import vgg
from i2i.features.vgg import VGGFeatures, taps_of


def test_tap_names():
    assert taps_of("vgg16")[-1] == "relu5_3" and len(taps_of("vgg16")) == 13
    assert taps_of("vgg19")[-1] == "relu5_4" and len(taps_of("vgg19")) == 16
    with pytest.raises(I2IError, match=r"unknown vgg16 layer\(s\) relu5_4; valid: relu1_1, "):
        VGGFeatures("vgg16", ["relu5_4"])


def test_shapes_and_truncation():
    net = VGGFeatures("vgg19", ["relu1_1", "relu3_1", "relu4_2"])
    assert net.layer_names[-1] == "relu4_2" and len(net.features) == 23
    out = net(torch.rand(2, 3, 64, 48))
    assert list(out) == ["relu1_1", "relu3_1", "relu4_2"]
    assert out["relu1_1"].shape == (2, 64, 64, 48)
    assert out["relu3_1"].shape == (2, 256, 16, 12)
    assert out["relu4_2"].shape == (2, 512, 8, 6)
    # torchvision's index layout: conv4_2 is features[21] in vgg19
    assert net.layer_names[21] == "conv4_2"


def test_frozen_eval_and_gradient_to_input():
    net = VGGFeatures("vgg16", ["relu2_2"], pool="avg")
    assert not any(p.requires_grad for p in net.parameters())
    net.train()
    assert not net.training
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    net(x)["relu2_2"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in net.parameters())


def test_owns_imagenet_normalisation():
    net = VGGFeatures("vgg16", ["relu1_1"])
    with torch.no_grad():
        net.features[0].weight.zero_()
        net.features[0].weight[0, 0, 1, 1] = 1.0  # conv1_1 channel 0 = normalised red
        net.features[0].bias.zero_()
    x = torch.full((1, 3, 4, 4), 0.485 + 0.229)  # one std above the red mean
    torch.testing.assert_close(net(x)["relu1_1"][0, 0, 1:3, 1:3], torch.ones(2, 2))


def test_vgg19_unavailable_falls_back_to_vgg16_and_says_so(tmp_path, monkeypatch):
    full = VGGFeatures("vgg16", ["relu5_3"]).features.state_dict()
    state = {k: torch.zeros_like(v) for k, v in full.items()}
    weights = tmp_path / "vgg16_features.pt"
    torch.save(state, weights)

    real_resolve = vgg.resolve_weights

    def fake_resolve(source, explicit=None, **kwargs):
        if source.name == "vgg19":
            kwargs["log"]("downloading https://example.invalid/vgg19.pth")
            kwargs["log"]("vgg19: download failed: no network (test)")
            raise I2IError("vgg19 weights unavailable (test)")
        return real_resolve(source, weights, **kwargs)

    monkeypatch.setattr(vgg, "resolve_weights", fake_resolve)
    logs: list[str] = []
    net = vgg.load_vgg("vgg19", ["relu1_1", "relu5_1"], log=logs.append)
    assert net.arch == "vgg16"
    # the whole fallback is one line: the replacement and the reason, none of the attempt's trace
    assert logs == [f"using VGG16 (explicit: {weights}) because vgg19 weights unavailable (test)"]
    with pytest.raises(I2IError, match="relu5_4"):
        vgg.load_vgg("vgg19", ["relu5_4"], log=logs.append)
