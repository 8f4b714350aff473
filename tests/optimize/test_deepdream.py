"""DeepDream: the objective rises, octave sizes, tiling bookkeeping, layer parsing and errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from i2i.errors import I2IError
from i2i.optimize.deepdream import (
    PRESETS,
    DreamConfig,
    dream,
    image_gradient,
    objective,
    octave_sizes,
    parse_layers,
)


class TinyFeatures(nn.Module):
    """A frozen two-stage conv net standing in for Inception: input RGB [0, 1] -> {"a", "b"}."""

    def __init__(self, kernel: int = 3) -> None:
        super().__init__()
        torch.manual_seed(0)
        pad = kernel // 2
        self.a = nn.Sequential(nn.Conv2d(3, 8, kernel, padding=pad), nn.ReLU())
        self.b = nn.Sequential(nn.Conv2d(8, 8, kernel, padding=pad), nn.ReLU())
        self.requires_grad_(False)

    def forward(self, x):
        a = self.a(x * 2 - 1)
        return {"a": a, "b": self.b(a)}


def test_objective_is_weighted_mean_of_squares_with_border_crop():
    acts = {"a": torch.arange(36.0).reshape(1, 1, 6, 6), "b": torch.full((1, 2, 4, 4), 3.0)}
    inner = torch.arange(36.0).reshape(6, 6)[1:-1, 1:-1]
    expected = 2.0 * inner.square().mean() + 0.5 * 9.0
    assert objective(acts, {"a": 2.0, "b": 0.5}, border=1).item() == pytest.approx(expected.item())
    # A tile covering a quarter of the image contributes a quarter of its own mean.
    assert objective(acts, {"b": 1.0}, border=0, area_fraction=0.25).item() == pytest.approx(9.0 / 4)


def test_objective_rises_over_steps():
    losses: list[float] = []
    image = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    cfg = DreamConfig(layers={"a": 1.0, "b": 1.0}, octaves=1, steps=12, step_size=0.02, jitter=4)
    out = dream(
        TinyFeatures(), image, cfg, torch.Generator().manual_seed(0), lambda o, s, loss: losses.append(loss)
    )
    assert len(losses) == 12
    assert losses[-1] > losses[0] * 1.2
    assert out.shape == image.shape and out.min() >= 0 and out.max() <= 1
    assert not torch.equal(out, image)


def test_octave_sizes_end_at_the_input_size():
    sizes = octave_sizes(300, 500, 4, 1.4)
    assert sizes[-1] == (300, 500)
    assert sizes == sorted(sizes)
    assert sizes[0] == (round(300 / 1.4**3), round(500 / 1.4**3))
    assert octave_sizes(100, 120, 5, 1.5) == [(100, 120)]  # smaller octaves would be under MIN_SIDE


def test_dream_keeps_the_size_through_octaves():
    seen: set[int] = set()
    image = torch.rand(1, 3, 200, 160)
    cfg = DreamConfig(layers={"b": 1.0}, octaves=3, octave_scale=1.3, steps=2)
    out = dream(TinyFeatures(), image, cfg, torch.Generator().manual_seed(0), lambda o, s, loss: seen.add(o))
    assert out.shape == (1, 3, 200, 160)
    assert seen == {0, 1, 2}


def test_tiled_and_untiled_gradients_agree_when_the_net_is_pointwise():
    # 1x1 convs have no spatial context, so tiling is exact and any bookkeeping slip would show.
    net = TinyFeatures(kernel=1)
    x = torch.rand(1, 3, 90, 130) * 2 - 1
    whole, loss_whole = image_gradient(net, x, {"a": 1.0, "b": 2.0}, border=0, tile=None)
    tiled, loss_tiled = image_gradient(net, x, {"a": 1.0, "b": 2.0}, border=0, tile=80)
    assert torch.allclose(whole, tiled, atol=1e-6, rtol=1e-4)
    assert loss_tiled == pytest.approx(loss_whole, rel=1e-5)


def test_one_tile_covering_the_image_is_the_untiled_gradient():
    net = TinyFeatures()
    x = torch.rand(1, 3, 96, 96) * 2 - 1
    whole, _ = image_gradient(net, x, {"a": 1.0}, border=2, tile=None)
    tiled, _ = image_gradient(net, x, {"a": 1.0}, border=2, tile=128)
    assert torch.equal(whole, tiled)


def test_seeded_dreams_repeat():
    image = torch.rand(1, 3, 96, 96)
    cfg = DreamConfig(layers={"a": 1.0}, octaves=1, steps=3, jitter=8)
    a = dream(TinyFeatures(), image, cfg, torch.Generator().manual_seed(5))
    b = dream(TinyFeatures(), image, cfg, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_max_loss_stops_an_octave_early():
    steps: list[int] = []
    cfg = DreamConfig(layers={"a": 1.0}, octaves=1, steps=10, max_loss=0.0)
    dream(TinyFeatures(), torch.rand(1, 3, 96, 96), cfg, None, lambda o, s, loss: steps.append(s))
    assert steps == [0]


def test_parse_layers_and_errors():
    assert parse_layers("mixed4:1.0, mixed5:1.5,mixed6") == {"mixed4": 1.0, "mixed5": 1.5, "mixed6": 1.0}
    with pytest.raises(I2IError, match="bad layer weight"):
        parse_layers("mixed4:lots")
    with pytest.raises(I2IError, match="no layers"):
        parse_layers(" , ")
    with pytest.raises(I2IError):
        DreamConfig(octave_scale=1.0)
    assert set(PRESETS["chollet"]) == {"mixed4", "mixed5", "mixed6", "mixed7"}
