"""Generator resampling options (resize-conv, blur-pool anti-aliasing) and the ResNet encoder features.

Checked: parameter counts (stated), layer layout, exact output shapes, the blur filters against their
definitions, constants staying constant, PatchNCE layer indices, and checkpoint round trips.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.nn import build_discriminator, build_generator
from i2i.nn.layers import count_parameters
from i2i.nn.patchnce import CUT_NCE_LAYERS
from i2i.nn.reference import load_reference_state_dict
from i2i.nn.resample import BlurDownsample, BlurUpsample, binomial_filter
from i2i.nn.resnet import CUT_GENERATOR
from i2i.specs import ArchSpec

RESNET_OPTIONS = [
    {"downsample": d, "upsample": u} for d in ("stride", "blur") for u in ("transpose", "resize-conv", "blur")
]


@pytest.mark.parametrize("options", RESNET_OPTIONS)
def test_resnet_options_keep_the_reference_parameter_counts(options):
    # Stride-1 convs and the 3x3 convs after up-sampling have the shapes of the convs they replace.
    assert count_parameters(build_generator("resnet_9blocks", **options)) == 11_378_179
    assert count_parameters(build_generator("resnet_6blocks", **options)) == 7_837_699


def test_unet_resize_conv_parameter_counts():
    # Every 4x4 up-conv becomes a 3x3 conv: 9/16 of the up path's weights.
    assert count_parameters(build_generator("unet_256", upsample="resize-conv")) == 39_157_763
    assert count_parameters(build_generator("unet_128", upsample="resize-conv")) == 30_242_819
    assert count_parameters(build_generator("unet_256", upsample="transpose")) == 54_413_955


def test_antialiased_patchgan_keeps_count_and_output_size():
    d = build_discriminator("basic", norm="instance", antialias=True)
    assert count_parameters(d) == 2_764_737
    assert sum(isinstance(m, BlurDownsample) for m in d.modules()) == 3
    assert d(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)
    small = build_discriminator("basic", ndf=4, antialias=True)
    assert [m.stride for m in small.modules() if isinstance(m, nn.Conv2d)] == [(1, 1)] * 5


def _kinds(module: nn.Module) -> dict[str, int]:
    names = [type(m).__name__ for m in module.modules()]
    return {n: names.count(n) for n in ("ConvTranspose2d", "Upsample", "BlurUpsample", "BlurDownsample")}


def test_default_layout_is_the_reference_one():
    g = build_generator("resnet_9blocks", ngf=4)
    assert _kinds(g) == {"ConvTranspose2d": 2, "Upsample": 0, "BlurUpsample": 0, "BlurDownsample": 0}
    assert [c.stride for c in g.down if isinstance(c, nn.Conv2d)] == [(2, 2), (2, 2)]
    assert _kinds(build_generator("unet_128", ngf=4))["ConvTranspose2d"] == 7


def test_option_layouts():
    g = build_generator("resnet_6blocks", ngf=4, **CUT_GENERATOR)
    assert CUT_GENERATOR == {"downsample": "blur", "upsample": "blur"}
    assert _kinds(g) == {"ConvTranspose2d": 0, "Upsample": 0, "BlurUpsample": 2, "BlurDownsample": 2}
    assert [c.stride for c in g.down if isinstance(c, nn.Conv2d)] == [(1, 1), (1, 1)]
    rc = build_generator("resnet_6blocks", ngf=4, upsample="resize-conv")
    assert _kinds(rc) == {"ConvTranspose2d": 0, "Upsample": 2, "BlurUpsample": 0, "BlurDownsample": 0}
    assert all(
        m.mode == "nearest" and m.scale_factor == 2 for m in rc.modules() if isinstance(m, nn.Upsample)
    )
    up_convs = [m for m in rc.up if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in up_convs] == [
        (16, 8, (3, 3)),
        (8, 4, (3, 3)),
    ]
    unet = build_generator("unet_128", ngf=4, upsample="resize-conv")
    assert _kinds(unet) == {"ConvTranspose2d": 0, "Upsample": 7, "BlurUpsample": 0, "BlurDownsample": 0}


@pytest.mark.parametrize(
    ("name", "kwargs", "hw"),
    [
        *[("resnet", {"ngf": 4, "n_blocks": 2, **o}, (12, 20)) for o in RESNET_OPTIONS],
        ("unet", {"ngf": 4, "num_downs": 5, "upsample": "resize-conv"}, (64, 96)),
    ],
)
def test_option_shapes_and_range(name, kwargs, hw):
    torch.manual_seed(0)
    g = build_generator(name, **kwargs).eval()
    out = g(torch.rand(2, 3, *hw) * 2 - 1)
    assert out.shape == (2, 3, *hw)
    assert out.abs().max() <= 1.0


def test_unknown_options_are_refused_with_the_choices():
    with pytest.raises(I2IError, match=r"unknown upsample 'bilinear'; valid: transpose, resize-conv, blur"):
        build_generator("resnet_9blocks", upsample="bilinear")
    with pytest.raises(I2IError, match=r"unknown downsample 'max'; valid: stride, blur"):
        build_generator("resnet_9blocks", downsample="max")
    with pytest.raises(I2IError, match=r"unknown upsample 'blur'; valid: transpose, resize-conv"):
        build_generator("unet_128", upsample="blur")


def test_binomial_filters():
    three, four = torch.tensor([1.0, 2, 1]), torch.tensor([1.0, 3, 3, 1])
    torch.testing.assert_close(binomial_filter(3), three[:, None] * three / 16)
    torch.testing.assert_close(binomial_filter(4), four[:, None] * four / 64)


def test_blur_downsample_is_reflect_pad_binomial_3_stride_2():
    torch.manual_seed(1)
    x = torch.randn(2, 3, 10, 14)
    f = torch.tensor([1.0, 2, 1])
    kernel = (f[:, None] * f[None, :] / 16).expand(3, 1, 3, 3)
    expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), kernel, stride=2, groups=3)
    got = BlurDownsample(3)(x)
    assert got.shape == (2, 3, 5, 7)
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    # By hand at one interior output: rows/cols 1..3 around input (2, 2).
    w = f[:, None] * f[None, :] / 16
    torch.testing.assert_close(got[0, 0, 1, 1], (x[0, 0, 1:4, 1:4] * w).sum(), atol=1e-6, rtol=0)


def test_blur_upsample_matches_the_authors_formulation_and_keeps_constants():
    torch.manual_seed(2)
    x = torch.randn(1, 2, 5, 7)
    f = torch.tensor([1.0, 3, 3, 1])
    kernel = (f[:, None] * f[None, :] / 64 * 4).expand(2, 1, 4, 4)
    # Replicate-pad 1, transposed conv stride 2 padding 2, then drop one row/column on each side.
    authors = F.conv_transpose2d(
        F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, stride=2, padding=2, groups=2
    )
    authors = authors[:, :, 1:, 1:][:, :, :-1, :-1]
    got = BlurUpsample(2)(x)
    assert got.shape == (1, 2, 10, 14)
    torch.testing.assert_close(got, authors, atol=1e-6, rtol=0)
    # Interior value: 9:3:3:1 blend of the nearest inputs (bilinear at half-pixel offsets).
    expected = (9 * x[0, 0, 2, 3] + 3 * x[0, 0, 2, 2] + 3 * x[0, 0, 1, 3] + x[0, 0, 1, 2]) / 16
    torch.testing.assert_close(got[0, 0, 4, 6], expected, atol=1e-6, rtol=0)
    const = torch.full((1, 2, 4, 6), 0.37)
    torch.testing.assert_close(BlurUpsample(2)(const), torch.full((1, 2, 8, 12), 0.37), atol=1e-6, rtol=0)
    torch.testing.assert_close(BlurDownsample(2)(const), torch.full((1, 2, 2, 3), 0.37), atol=1e-6, rtol=0)


def test_blur_filters_are_buffers_in_the_authors_layout():
    g = build_generator("resnet_6blocks", ngf=4, **CUT_GENERATOR)
    buffers = {k: v.shape for k, v in g.state_dict().items() if k.endswith("filt")}
    assert buffers == {
        "down.3.filt": (8, 1, 3, 3),
        "down.7.filt": (16, 1, 3, 3),
        "up.0.filt": (16, 1, 4, 4),
        "up.4.filt": (8, 1, 4, 4),
    }
    assert not any(k.endswith("filt") for k, _ in g.named_parameters())


# ---- encoder features for PatchNCE ---------------------------------------------------------------------


def test_cut_layers_in_the_authors_layout():
    torch.manual_seed(3)
    g = build_generator("resnet_9blocks", ngf=8, **CUT_GENERATOR).eval()
    assert len(g.layer_sequence()) == 32  # 4 stem + 2 x 4 down + 9 blocks + 2 x 4 up + 3 head
    x = torch.rand(2, 3, 32, 48) * 2 - 1
    feats = g.encode(x, CUT_NCE_LAYERS)
    assert [tuple(f.shape) for f in feats] == [
        (2, 3, 38, 54),  # 0: reflect-padded input
        (2, 16, 32, 48),  # 4: first down conv (stride 1), before its norm
        (2, 32, 16, 24),  # 8: second down conv (stride 1), before its norm
        (2, 32, 8, 12),  # 12: residual block 1
        (2, 32, 8, 12),  # 16: residual block 5
    ]
    assert g.feature_channels(CUT_NCE_LAYERS) == [3, 16, 32, 32, 32]
    with torch.no_grad():
        torch.testing.assert_close(feats[0], F.pad(x, (3,) * 4, mode="reflect"))
        torch.testing.assert_close(feats[1], g.down[0](g.stem(x)))
        h = g.down[:4](g.stem(x))
        torch.testing.assert_close(feats[2], g.down[4](h))
        h = g.down(g.stem(x))
        torch.testing.assert_close(feats[3], g.blocks[0](h))
        torch.testing.assert_close(feats[4], g.blocks[:5](h))


def authors_encode(g: torch.nn.Module, x: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
    """The CUT authors' ``ResnetGenerator.forward(x, layers, encode_only=True)`` loop, run on the same
    layers (their in-place ReLUs included)."""
    feats, feat = [], x
    for layer_id, layer in enumerate(g.layer_sequence()):
        feat = layer(feat)
        if layer_id in layers:
            feats.append(feat)
        if layer_id == layers[-1]:
            return feats
    return feats


def test_cut_layers_in_the_reference_layout_and_in_place_relu():
    torch.manual_seed(4)
    g = build_generator("resnet_9blocks", ngf=8).eval()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    feats = g.encode(x, CUT_NCE_LAYERS)
    assert [tuple(f.shape[1:]) for f in feats] == [
        (3, 38, 38),
        (16, 16, 16),
        (32, 8, 8),
        (32, 8, 8),
        (32, 8, 8),
    ]
    with torch.no_grad():
        norm_out = g.down[4](g.down[3](g.down[:3](g.stem(x))))  # second down stage's norm, before ReLU
        for got, theirs in zip(feats, authors_encode(g, x, list(CUT_NCE_LAYERS)), strict=True):
            torch.testing.assert_close(got, theirs)
        torch.testing.assert_close(feats[2], norm_out.relu())  # layer 8 as the authors read it
        torch.testing.assert_close(feats[3], g.blocks[:3](g.down(g.stem(x))))
        torch.testing.assert_close(feats[4], g.blocks[:7](g.down(g.stem(x))))
        own = g.encode(x, CUT_NCE_LAYERS, after_inplace_relu=False)
        torch.testing.assert_close(own[2], norm_out)
        assert (own[2] < 0).any() and (feats[2] >= 0).all()
        torch.testing.assert_close(g.encode(x, [8])[0], norm_out)  # the last layer asked for: no ReLU


def test_cut_layers_in_the_authors_layout_match_their_loop():
    torch.manual_seed(6)
    g = build_generator("resnet_6blocks", ngf=4, **CUT_GENERATOR).eval()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        for got, theirs in zip(
            g.encode(x, CUT_NCE_LAYERS), authors_encode(g, x, list(CUT_NCE_LAYERS)), strict=True
        ):
            torch.testing.assert_close(got, theirs)


def test_encode_last_layer_is_forward_and_bad_layers_are_refused():
    torch.manual_seed(5)
    g = build_generator("resnet", n_blocks=2, ngf=4, upsample="resize-conv").eval()
    last = len(g.layer_sequence()) - 1
    x = torch.rand(1, 3, 16, 24) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(g.encode(x, [last])[0], g(x))
    for bad in ([], [4, 0], [3, 3], [-1], [last + 1]):
        with pytest.raises(I2IError, match="layers"):
            g.encode(x, bad)


def test_encode_carries_gradients():
    g = build_generator("resnet", n_blocks=2, ngf=4, **CUT_GENERATOR)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    sum(f.square().mean() for f in g.encode(x, [4, 8, 12])).backward()
    assert g.down[0].weight.grad is not None and g.down[0].weight.grad.abs().sum() > 0
    assert g.head[1].weight.grad is None  # the decoder was not run


# ---- checkpoints ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("resnet", {"ngf": 4, "n_blocks": 2, "upsample": "resize-conv"}),
        ("resnet", {"ngf": 4, "n_blocks": 2, **CUT_GENERATOR}),
        ("unet", {"ngf": 4, "num_downs": 5, "upsample": "resize-conv"}),
    ],
)
def test_checkpoint_round_trip(tmp_path, name, kwargs):
    torch.manual_seed(6)
    arch = ArchSpec(name, kwargs)
    module = build_generator(name, **kwargs)
    header = checkpoint.make_header(arch, module, task="cut", direction="AtoB")
    path = checkpoint.save(tmp_path / "g.pt", module, header)
    loaded = checkpoint.load(path)
    assert loaded.header.arch.kwargs == kwargs
    assert type(loaded.module) is type(module)
    x = torch.rand(2, 3, 64, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(loaded.module(x), module.eval()(x))


def test_a_state_dict_in_the_cut_authors_layout_loads():
    # Keys and shapes of the CUT authors' resnet generator (ngf=4, 1 block, instance norm, anti-aliased),
    # written out from their layer list: model.<index in their nn.Sequential>.
    ngf = 4
    authors = {
        "model.1.weight": (ngf, 3, 7, 7),
        "model.1.bias": (ngf,),
        "model.4.weight": (2 * ngf, ngf, 3, 3),
        "model.4.bias": (2 * ngf,),
        "model.7.filt": (2 * ngf, 1, 3, 3),
        "model.8.weight": (4 * ngf, 2 * ngf, 3, 3),
        "model.8.bias": (4 * ngf,),
        "model.11.filt": (4 * ngf, 1, 3, 3),
        "model.12.conv_block.1.weight": (4 * ngf, 4 * ngf, 3, 3),
        "model.12.conv_block.1.bias": (4 * ngf,),
        "model.12.conv_block.5.weight": (4 * ngf, 4 * ngf, 3, 3),
        "model.12.conv_block.5.bias": (4 * ngf,),
        "model.13.filt": (4 * ngf, 1, 4, 4),
        "model.14.weight": (2 * ngf, 4 * ngf, 3, 3),
        "model.14.bias": (2 * ngf,),
        "model.17.filt": (2 * ngf, 1, 4, 4),
        "model.18.weight": (ngf, 2 * ngf, 3, 3),
        "model.18.bias": (ngf,),
        "model.22.weight": (3, ngf, 7, 7),
        "model.22.bias": (3,),
    }
    torch.manual_seed(9)
    g = build_generator("resnet", n_blocks=1, ngf=ngf, **CUT_GENERATOR)
    state = {k: torch.randn(shape) for k, shape in authors.items()}
    for k, shape in authors.items():  # their files hold the fixed filters: [1,2,1] down, 4 x [1,3,3,1] up
        if k.endswith("filt"):
            taps = shape[-1]
            state[k] = (binomial_filter(taps) * (4 if taps == 4 else 1)).expand(shape).clone()
    load_reference_state_dict(g, state)
    assert torch.equal(g.down[4].weight, state["model.8.weight"])
    assert torch.equal(g.blocks[0].body[5].weight, state["model.12.conv_block.5.weight"])
    assert torch.equal(g.up[5].weight, state["model.18.weight"])
    assert torch.equal(g.head[1].bias, state["model.22.bias"])
    assert [i for i, _ in enumerate(g.layer_sequence()) if f"model.{i}.weight" in authors] == [
        1,
        4,
        8,
        14,
        18,
        22,
    ]


def test_residual_resnet_adds_the_input_to_the_head_and_clamps():
    torch.manual_seed(0)
    residual = build_generator("resnet_6blocks", ngf=8, init="xavier", residual=True, **CUT_GENERATOR)
    plain = build_generator("resnet_6blocks", ngf=8, init="xavier", **CUT_GENERATOR)
    assert count_parameters(residual) == count_parameters(plain)  # the skip adds no weights
    plain.load_state_dict(residual.state_dict())
    x = torch.rand(2, 3, 32, 36) * 2 - 1
    x[0, :, :4] = 1.0  # saturated white: the sum must be clamped back into range
    with torch.no_grad():
        out, head = residual(x), plain(x)
    assert torch.equal(out, (x + head).clamp(-1, 1)) and out.max() <= 1.0
    assert (out - x).abs().mean() < 0.05  # freshly initialised (gain 0.02): nearly the identity
    with pytest.raises(I2IError, match="residual needs as many output as input channels"):
        build_generator("resnet_6blocks", in_channels=1, out_channels=3, residual=True)


def _norm_kinds(modules) -> list[str]:
    return [type(m).__name__ for m in modules if isinstance(m, (nn.InstanceNorm2d, nn.GroupNorm))]


def test_decoder_norm_swaps_the_norms_of_the_last_blocks_and_the_up_stages_only():
    torch.manual_seed(0)
    split = build_generator(
        "resnet_9blocks", ngf=8, init="xavier", decoder_norm="layer", residual=True, **CUT_GENERATOR
    )
    plain = build_generator("resnet_9blocks", ngf=8, init="xavier", residual=True, **CUT_GENERATOR)
    # the encoder half (stem, down stages, the first 5 of 9 blocks) keeps instance norm ...
    assert set(_norm_kinds([*split.stem, *split.down, *split.blocks[:5].modules()])) == {"InstanceNorm2d"}
    # ... the decoder half (the last 4 blocks and both up stages) has layer norm
    assert set(_norm_kinds([*split.blocks[5:].modules(), *split.up])) == {"GroupNorm"}
    assert len(_norm_kinds(split.modules())) == len(_norm_kinds(plain.modules()))
    # layer norm's per-channel scale and shift: 2 residual norms x 4 blocks x 32 channels, and 16 + 8
    assert count_parameters(split) - count_parameters(plain) == 2 * (4 * 2 * 32 + 16 + 8)
    # every layer PatchNCE reads is in the instance-norm encoder, and the layer numbering is unchanged
    sequence = split.layer_sequence()
    assert len(sequence) == len(plain.layer_sequence())
    assert max(CUT_NCE_LAYERS) < len(split.stem) + len(split.down) + 5
    assert all(isinstance(sequence[i], type(plain.layer_sequence()[i])) for i in CUT_NCE_LAYERS)
    # without decoder_norm the generator is the one-norm layout, parameter for parameter
    same = build_generator("resnet_9blocks", ngf=8, init="xavier", decoder_norm=None, **CUT_GENERATOR)
    assert same.state_dict().keys() == plain.state_dict().keys()
    with pytest.raises(I2IError, match="unknown norm"):
        build_generator("resnet_6blocks", ngf=8, decoder_norm="group", **CUT_GENERATOR)
