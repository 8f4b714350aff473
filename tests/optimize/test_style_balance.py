"""The content/style balance of Gatys stylize (issue 41): each style layer's term is normalised by its own
target Gram's squared norm (``style_norm="target"``, the default), so one style weight gives a comparable
balance across paintings; ``style_norm="none"`` keeps the old, unnormalised loss; the run prints the
weights it used once, with the flag that moves them."""

from __future__ import annotations

import io

import pytest
import torch
from PIL import Image
from rich.console import Console
from torch import nn

from i2i.errors import I2IError
from i2i.features.vgg import VGGFeatures
from i2i.losses import gram, style_loss
from i2i.optimize import neural_style as ns
from i2i.optimize.neural_style import DEFAULT_STYLE_WEIGHTS, NeuralStyleConfig, style_layer_weights, stylize
from i2i.optimize.stylize_run import StylizeJob, balance_line, run_stylize_job

LAYERS = {"relu1_1": 1.0, "relu2_1": 0.5}


class ScaledTaps(nn.Module):
    """A feature network whose taps are the inner network's, each multiplied by its own constant: what a
    brighter or busier painting does to the activations, layer by layer."""

    def __init__(self, inner: nn.Module, factors: dict[str, float]) -> None:
        super().__init__()
        self.inner, self.factors = inner, factors

    def forward(self, x):
        return {k: v * self.factors.get(k, 1.0) for k, v in self.inner(x).items()}


@pytest.fixture(scope="module")
def random_vgg() -> VGGFeatures:
    torch.manual_seed(0)
    return VGGFeatures("vgg16", ["relu1_1", "relu2_1", "relu2_2"])


def _config(**kw) -> NeuralStyleConfig:
    base = dict(content_layer="relu2_2", layer_weights=LAYERS, iterations=3, scales=(32,))
    return NeuralStyleConfig(**{**base, **kw})


def _style_term(features: nn.Module, config: NeuralStyleConfig) -> float:
    gen = torch.Generator().manual_seed(3)
    style, content, x = (torch.rand(3, 32, 32, generator=gen) for _ in range(3))
    targets = ns.style_targets(features, [style], [1.0], list(config.layer_weights))
    content_target = ns.run_features(features, content.unsqueeze(0), None)[config.content_layer]
    return ns._objective(features, x.unsqueeze(0), content_target, targets, config)[1]["style"]


def test_target_norm_makes_the_style_term_independent_of_each_layers_magnitude(random_vgg):
    factors = {"relu1_1": 3.0, "relu2_1": 0.2}  # per layer: one global normaliser would not cancel these
    scaled = ScaledTaps(random_vgg, factors)
    normalised = _config()
    assert _style_term(scaled, normalised) == pytest.approx(_style_term(random_vgg, normalised), rel=1e-4)
    for layer, k in factors.items():  # unnormalised, a layer's term scales with k^4: the balance moves
        old = _config(style_norm="none", layer_weights={layer: 1.0})
        assert _style_term(scaled, old) / _style_term(random_vgg, old) == pytest.approx(k**4, rel=1e-3)
        new = _config(layer_weights={layer: 1.0})
        assert _style_term(scaled, new) == pytest.approx(_style_term(random_vgg, new), rel=1e-4)


def test_stylize_result_does_not_depend_on_the_style_magnitude(random_vgg):
    gen = torch.Generator().manual_seed(4)
    content, style = torch.rand(3, 32, 32, generator=gen), torch.rand(3, 32, 32, generator=gen)
    scaled = ScaledTaps(random_vgg, {"relu1_1": 3.0, "relu2_1": 0.2})  # the content tap relu2_2 unscaled
    config = _config(iterations=10)
    a, b = (stylize(f, content, [style], config).image for f in (random_vgg, scaled))
    assert (a - content).abs().max() > 0.1 and (a - b).abs().max() < 2e-3  # float32 rounding only
    # unnormalised (at a weight where content and style both count), the "painting" changed the result
    config = _config(iterations=10, style_norm="none", style_weight=1e4)
    a, b = (stylize(f, content, [style], config).image for f in (random_vgg, scaled))
    assert (a - b).abs().max() > 0.02, float((a - b).abs().max())


def test_the_normalised_term_is_the_relative_gram_error(random_vgg):
    gen = torch.Generator().manual_seed(5)
    feats = {k: torch.rand(1, 4, 6, 5, generator=gen) for k in LAYERS}
    targets = {k: gram(torch.rand(1, 4, 7, 7, generator=gen)) for k in LAYERS}
    config = _config()
    factors = style_layer_weights(targets, config)
    got = style_loss(feats, targets, factors)
    expected = sum(
        w * (gram(feats[k]) - targets[k]).square().sum() / targets[k].square().sum()
        for k, w in LAYERS.items()
    )
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=0)
    assert style_layer_weights(targets, _config(style_norm="none")) == LAYERS
    dark = style_layer_weights({k: torch.zeros(1, 4, 4) for k in LAYERS}, config)  # no division by zero
    assert all(torch.isfinite(torch.as_tensor(v)) for v in dark.values())


class TinyTaps(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(6)
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 5, 3, padding=1)
        self.requires_grad_(False)

    def forward(self, x):
        a = torch.relu(self.a(x))
        return {"a": a, "b": torch.relu(self.b(a))}


def test_normalised_objective_gradcheck_float64():
    net = TinyTaps().double()
    config = NeuralStyleConfig(content_layer="b", layer_weights={"a": 1.0, "b": 2.0}, scales=(16,))
    gen = torch.Generator().manual_seed(7)
    style = torch.rand(3, 6, 5, generator=gen, dtype=torch.float64)
    targets = ns.style_targets(net, [style], [1.0], ["a", "b"])
    content_target = net(torch.rand(1, 3, 5, 4, generator=gen, dtype=torch.float64))["b"]
    x = torch.rand(1, 3, 5, 4, generator=gen, dtype=torch.float64, requires_grad=True)

    def loss(image: torch.Tensor) -> torch.Tensor:
        return ns._objective(net, image, content_target, targets, config)[0]

    assert torch.autograd.gradcheck(loss, x)


def test_config_defaults_and_bad_norm():
    assert NeuralStyleConfig().style_norm == "target"
    assert NeuralStyleConfig().style_weight == DEFAULT_STYLE_WEIGHTS["target"]
    assert NeuralStyleConfig(style_norm="none").style_weight == 1e6  # the old results, exactly
    assert NeuralStyleConfig(style_norm="none", style_weight=5.0).style_weight == 5.0
    with pytest.raises(I2IError, match="unknown --style-norm 'layer'; valid: target, none"):
        NeuralStyleConfig(style_norm="layer")


def test_the_run_prints_the_weights_once_with_the_flag_that_moves_them(tmp_path, random_vgg):
    state = VGGFeatures("vgg16", ["relu5_3"]).features.state_dict()
    weights = tmp_path / "vgg16_random.pt"
    torch.save({f"features.{k}": v for k, v in state.items()}, weights)
    photos = []
    for name in ("a.png", "b.png"):
        Image.effect_mandelbrot((40, 30), (-2, -1.2, 1, 1.2), 40).convert("RGB").save(tmp_path / name)
        photos.append(tmp_path / name)
    config = NeuralStyleConfig(scales=(32,), iterations=1, tv_weight=2.0)
    job = StylizeJob(
        inputs=tuple(photos), styles=("starry",), config=config, backbone="vgg16", backbone_weights=weights,
        amp="none", device="cpu", plain_progress=True,
    )  # fmt: skip
    buffer = io.StringIO()
    assert run_stylize_job(job, Console(file=buffer, width=400)) == []
    lines = [line for line in buffer.getvalue().splitlines() if line.startswith("balance:")]
    weight = f"{DEFAULT_STYLE_WEIGHTS['target']:g}"
    assert lines == [balance_line(config)]
    assert lines[0].startswith(
        f"balance: --content-weight 1, --style-weight {weight} (raise it for more of the painting, lower it "
        "to keep more of the photo), --tv-weight 2, --style-norm target (style losses relative to each "
        "painting's own Gram size; none: the old unnormalised loss)"
    )
    old = balance_line(NeuralStyleConfig(style_norm="none"))
    assert "--style-weight 1e+06" in old and "--style-norm none (unnormalised" in old
