"""--amp resolution, bf16 autocast in Gatys/DeepDream with float32 losses, the coarse-to-fine schedule,
plain-line progress and Ctrl-C writing the current image (feature detection mocked: any CPU)."""

from __future__ import annotations

import io
import sys

import pytest
import torch
from PIL import Image
from rich.console import Console
from torch import nn

from i2i import accel
from i2i.amp import Precision, resolve_amp
from i2i.errors import I2IError
from i2i.features.vgg import VGGFeatures
from i2i.optimize import neural_style
from i2i.optimize.deepdream import DreamConfig, dream
from i2i.optimize.neural_style import NeuralStyleConfig, default_schedule, stylize
from i2i.progress import Interrupted, StepProgress

LAYERS = {"relu1_1": 1.0, "relu2_1": 1.0}


class Recording(nn.Module):
    """Wraps a feature net; records whether autocast was on and the input's memory format per call."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.autocast: list[bool] = []
        self.channels_last: list[bool] = []

    def forward(self, x):
        self.autocast.append(torch.is_autocast_enabled("cpu"))
        self.channels_last.append(x.is_contiguous(memory_format=torch.channels_last) and x.shape[-1] > 1)
        return self.inner(x)


@pytest.fixture(scope="module")
def random_vgg() -> VGGFeatures:
    torch.manual_seed(0)
    return VGGFeatures("vgg16", ["relu1_1", "relu2_1", "relu2_2"])


@pytest.mark.parametrize(("fast", "mode", "expected"), [
    (True, "auto", ("bf16", True)),
    (False, "auto", ("none", False)),
    (False, "bf16", ("bf16", True)),
    (True, "none", ("none", False)),
    (True, "fp16", ("fp16", True)),
])  # fmt: skip
def test_resolve_amp_on_cpu(monkeypatch, fast, mode, expected):
    monkeypatch.setattr(accel, "cpu_has_fast_bf16", lambda: fast)
    amp = resolve_amp(mode, "cpu")
    assert (amp.mode, amp.channels_last) == expected and amp.device_type == "cpu"
    assert amp.dtype == {"bf16": torch.bfloat16, "fp16": torch.float16, "none": None}[expected[0]]


def test_resolve_amp_rejects_unknown_modes():
    with pytest.raises(I2IError, match="unknown --amp 'int8'; valid: auto, none, bf16, fp16"):
        resolve_amp("int8", "cpu")


@pytest.mark.parametrize("fast", [True, False])
def test_training_precision_resolves_auto(monkeypatch, fast):
    monkeypatch.setattr(accel, "cpu_has_fast_bf16", lambda: fast)
    prec = Precision(torch.device("cpu"), "auto")  # training: channels_last only when asked (issue 38)
    assert (prec.amp, prec.channels_last, prec.auto) == ("bf16" if fast else "none", False, True)
    assert Precision(torch.device("cpu"), "auto", channels_last=True).channels_last
    explicit = Precision(torch.device("cpu"), "none", channels_last=True)
    assert (explicit.amp, explicit.channels_last) == ("none", True)


def test_gatys_bf16_runs_the_network_under_autocast_and_keeps_float32(random_vgg):
    feats = Recording(random_vgg)
    amp = resolve_amp("bf16", "cpu")
    config = NeuralStyleConfig(content_layer="relu2_2", layer_weights=LAYERS, iterations=3, scales=(32,))
    result = stylize(feats, torch.rand(3, 32, 24), [torch.rand(3, 30, 30)], config, amp=amp)
    assert feats.autocast and all(feats.autocast) and all(feats.channels_last)
    assert result.image.dtype == torch.float32 and result.image.shape == (3, 32, 24)
    x = torch.rand(1, 3, 32, 24, requires_grad=True)
    targets = neural_style.style_targets(feats, [torch.rand(3, 30, 30)], [1.0], list(LAYERS), amp)
    content = neural_style.run_features(feats, torch.rand(1, 3, 32, 24), amp)["relu2_2"]
    assert all(t.dtype == torch.float32 for t in targets.values()) and content.dtype == torch.float32
    total, _ = neural_style._objective(feats, x, content, targets, config, amp)
    total.backward()
    assert total.dtype == torch.float32 and x.grad.dtype == torch.float32
    plain = Recording(random_vgg)
    stylize(plain, torch.rand(3, 32, 24), [torch.rand(3, 30, 30)], config)
    assert not any(plain.autocast)


def test_per_scale_iterations_and_the_default_schedule(random_vgg):
    config = NeuralStyleConfig(
        content_layer="relu2_2", layer_weights=LAYERS, scales=(24, 48), iterations=(3, 1)
    )
    result = stylize(random_vgg, torch.rand(3, 48, 48), [torch.rand(3, 40, 40)], config)
    assert [h.size for h in result.history] == [24, 24, 24, 48] and config.total_iterations == 4
    with pytest.raises(I2IError, match="--iterations has 3 counts for 2 scales"):
        NeuralStyleConfig(scales=(24, 48), iterations=(3, 1, 1))
    scales, iterations = default_schedule(512)
    assert scales == (256, 512) and len(iterations) == 2 and iterations[0] > iterations[1]
    assert default_schedule(100) == ((100,), (sum(iterations),))


def test_ctrl_c_during_gatys_hands_back_the_current_image(random_vgg):
    config = NeuralStyleConfig(content_layer="relu2_2", layer_weights=LAYERS, iterations=5, scales=(32,))

    def stop_at_two(info):
        if info.step == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as caught:
        stylize(random_vgg, torch.rand(3, 32, 32), [torch.rand(3, 32, 32)], config, on_step=stop_at_two)
    assert caught.value.step == 2 and caught.value.image.shape == (3, 32, 32)
    assert float(caught.value.image.min()) >= 0 and float(caught.value.image.max()) <= 1


class TinyDreamNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.requires_grad_(False)
        self.autocast: list[bool] = []

    def forward(self, x):
        self.autocast.append(torch.is_autocast_enabled("cpu"))
        return {"a": torch.relu(self.conv(x))}


def test_dream_bf16_and_ctrl_c():
    net = TinyDreamNet()
    config = DreamConfig(layers={"a": 1.0}, octaves=2, steps=3, jitter=2)
    out = dream(
        net,
        torch.rand(1, 3, 24, 24),
        config,
        torch.Generator().manual_seed(0),
        amp=resolve_amp("bf16", "cpu"),
    )
    assert out.dtype == torch.float32 and out.shape == (1, 3, 24, 24) and all(net.autocast)

    def stop(octave, step, loss):
        if (octave, step) == (1, 0):
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as caught:
        dream(net, torch.rand(1, 3, 112, 112), config, torch.Generator().manual_seed(0), stop)
    assert caught.value.step == 4 and caught.value.image.shape == (1, 3, 112, 112)


def test_plain_progress_prints_about_every_ten_percent():
    buffer = io.StringIO()
    console = Console(file=buffer, width=200)
    with StepProgress(console, "photo.jpg", 40) as progress:
        assert progress.plain  # a StringIO is no terminal
        for done in range(1, 41):
            progress.update(done, "photo.jpg 256px", "loss 1")
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("photo.jpg 256px 10% (4/40) loss 1 ")
    assert lines[-1].startswith("photo.jpg 256px 100% (40/40) loss 1 ")


def test_ctrl_c_in_the_cli_writes_the_image_and_exits_130(tmp_path, monkeypatch, capsys):
    from i2i import progress as progress_module
    from i2i.cli import main as cli_main

    torch.manual_seed(0)
    state = VGGFeatures("vgg16", ["relu5_3"]).features.state_dict()
    weights = tmp_path / "vgg16.pt"
    torch.save({f"features.{k}": v for k, v in state.items()}, weights)
    photo = tmp_path / "photo.png"
    Image.effect_mandelbrot((40, 30), (-2, -1.2, 1, 1.2), 40).convert("RGB").save(photo)
    original = progress_module.StepProgress.update

    def interrupting(self, done, label=None, text=""):
        original(self, done, label, text)
        if done == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(progress_module.StepProgress, "update", interrupting)
    argv = ["i2i", "stylize", "--style", "starry", str(photo), "--size", "32", "--iterations", "10"]
    monkeypatch.setattr(sys, "argv", [*argv, "--backbone-weights", str(weights), "--amp", "none"])
    with pytest.raises(SystemExit) as exited:
        cli_main.run()
    assert exited.value.code == 130
    out = tmp_path / "photo.starry.png"
    assert Image.open(out).size == (32, 24)
    err = capsys.readouterr().err
    assert f"interrupted after 3 of 10 steps: wrote the current image to {out}" in " ".join(err.split())
