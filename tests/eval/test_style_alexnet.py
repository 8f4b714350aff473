"""The AlexNet feature extractor behind `i2i eval style`'s independent style ratio
(:mod:`i2i.features.alexnet`): torchvision's layout, the LPIPS AlexNet trunk, the weight files it reads."""

from __future__ import annotations

import pytest
import torch

from i2i.errors import I2IError
from i2i.eval.lpips import AlexNetTrunk
from i2i.features.alexnet import TAPS, AlexNetFeatures, load_alexnet
from i2i.features.vgg import IMAGENET_MEAN, IMAGENET_STD


def _normalised(x: torch.Tensor) -> torch.Tensor:
    return (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def test_taps_have_torchvisions_shapes_and_the_module_is_frozen():
    net = AlexNetFeatures()
    out = net(torch.rand(2, 3, 64, 80))
    assert list(out) == list(TAPS)
    shapes = [tuple(t.shape) for t in out.values()]
    assert shapes == [(2, 64, 15, 19), (2, 192, 7, 9), (2, 384, 3, 4), (2, 256, 3, 4), (2, 256, 3, 4)]
    assert sum(p.numel() for p in net.parameters()) == 2_469_696  # torchvision alexnet().features
    assert not any(p.requires_grad for p in net.parameters()) and not net.train().training
    assert len(AlexNetFeatures(["relu2"]).features) == 5  # stops at the deepest tap


def test_bad_taps_and_small_images_are_one_line_errors():
    with pytest.raises(I2IError, match="unknown AlexNet layer"):
        AlexNetFeatures(["relu6"])
    with pytest.raises(I2IError, match="at least 31 px"):
        AlexNetFeatures()(torch.rand(1, 3, 30, 64))


def test_the_lpips_file_and_torchvision_layouts_load_the_same_weights(tmp_path):
    torch.manual_seed(0)
    trunk = AlexNetTrunk()
    lpips_file = {**trunk.state_dict(), "lin0": torch.rand(1, 64, 1, 1)}  # the cached lpips_alex.pt form
    torch.save(lpips_file, tmp_path / "lpips_alex.pt")
    torch.save({k.removeprefix("features."): v for k, v in trunk.state_dict().items()}, tmp_path / "plain.pt")
    x = torch.rand(1, 3, 48, 40)
    expected = trunk(_normalised(x))
    for name in ("lpips_alex.pt", "plain.pt"):
        net = load_alexnet(weights=tmp_path / name, log=lambda _m: None)
        assert all(torch.equal(a, b) for a, b in zip(net(x).values(), expected, strict=True))
    torch.save({"0.weight": torch.zeros(1)}, tmp_path / "bad.pt")
    with pytest.raises(I2IError, match="AlexNet weights lack"):
        load_alexnet(weights=tmp_path / "bad.pt", log=lambda _m: None)


def test_unavailable_weights_say_so_in_one_line(tmp_path):
    with pytest.raises(I2IError) as info:
        load_alexnet(cache=tmp_path, allow_network=False, log=lambda _m: None)
    assert "lpips_alex" in str(info.value) and "\n" not in str(info.value)


def test_real_weights_are_the_lpips_alexnet_trunk():
    from i2i.eval.lpips import load_lpips

    try:
        net, lpips = load_alexnet(log=lambda _m: None), load_lpips("alex", log=lambda _m: None)
    except I2IError as err:
        pytest.skip(f"LPIPS AlexNet weights unavailable here (cache empty and no package index): {err}")
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        got, expected = list(net(x).values()), lpips.trunk(_normalised(x))
    assert all(torch.equal(a, b) for a, b in zip(got, expected, strict=True))
