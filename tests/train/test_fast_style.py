"""Fast style: a 2-step run on generated photos gives a loadable self-describing checkpoint, a resumable
state, samples; it exports to ONNX and `i2i stylize --model` runs it through the translate pipeline."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from i2i import checkpoint
from i2i.cli.main import app as main_app
from i2i.errors import I2IError
from i2i.train import fast_style
from i2i.train.fast_style import FastStyleConfig, PhotoCrops, train
from tests.train.conftest import write_style_inputs

runner = CliRunner()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast")
    weights, photos = write_style_inputs(root)
    return root, weights, photos


def test_two_steps_give_a_loadable_checkpoint_and_it_stylizes_via_onnx(setup, tmp_path):
    _, weights, photos = setup
    run = tmp_path / "run"
    args = ["train", "style", "--style", "starry", "--data", str(photos), "--out", str(run)]
    args += ["--max-steps", "2", "--batch-size", "2", "--size", "32", "--style-size", "64"]
    args += ["--backbone-weights", str(weights), "--sample-every", "1"]
    result = runner.invoke(main_app, args)
    assert result.exit_code == 0, result.output
    model = run / "model.pt"
    assert str(model) in result.stdout
    loaded = checkpoint.load(model)
    assert loaded.header.task == "fast_style" and loaded.header.name == "starry"
    assert loaded.header.arch.name == "johnson" and loaded.header.recipe["step"] == 2
    assert (run / "last.pt").is_file() and (run / "samples" / "step_0000002.png").is_file()
    out = loaded.module(torch.rand(1, 3, 32, 32) * 2 - 1)
    assert out.shape == (1, 3, 32, 32)

    from i2i.export import export_checkpoint

    onnx_path = export_checkpoint(model).path
    out_dir = tmp_path / "styled"
    photo = photos / "0.jpg"
    result = runner.invoke(main_app, ["stylize", "--model", str(onnx_path), str(photo), str(out_dir)])
    assert result.exit_code == 0, result.output
    styled = out_dir / "0.jpg"
    assert styled.is_file() and Image.open(styled).size == (40, 30)


def test_norm_encoder_and_pad_record_the_layout_and_stylize_images_smaller_than_the_pad(setup, tmp_path):
    _, weights, photos = setup
    run = tmp_path / "run"
    args = ["train", "style", "--style", "starry", "--data", str(photos), "--out", str(run)]
    args += ["--norm", "encoder", "--pad", "8", "--max-steps", "1", "--batch-size", "1", "--size", "32"]
    args += ["--ngf", "8", "--style-size", "64", "--backbone-weights", str(weights)]
    result = runner.invoke(main_app, args)
    assert result.exit_code == 0, result.output
    loaded = checkpoint.load(run / "model.pt")
    assert loaded.header.arch.kwargs["norm"] == "encoder" and loaded.header.arch.kwargs["pad"] == 8
    norms = [n for n, m in loaded.module.named_modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    assert len(norms) == 3 and all(n.startswith("encoder.") for n in norms)

    from i2i.export import export_checkpoint

    onnx_path = export_checkpoint(run / "model.pt").path
    Image.new("RGB", (6, 5), (200, 90, 40)).save(tmp_path / "tiny.png")  # smaller than the pad
    result = runner.invoke(main_app, ["stylize", "--model", str(onnx_path), str(tmp_path / "tiny.png"),
                                      str(photos / "1.jpg"), str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "out" / "tiny.png").size == (6, 5)
    assert Image.open(tmp_path / "out" / "1.jpg").size == (36, 48)


def test_resume_continues_from_the_saved_step(setup, tmp_path):
    _, weights, photos = setup
    cfg = FastStyleConfig(
        style="starry", data=str(photos), out=str(tmp_path / "r"), max_steps=1, batch_size=2, size=32,
        style_size=64, backbone_weights=str(weights), sample_every=5,
    )  # fmt: skip
    first = train(cfg)
    assert first.step == 1 and first.stopped == "max_steps"
    with pytest.raises(I2IError, match="already holds a run"):
        train(cfg)
    second = train(replace(cfg, max_steps=2), resume=True)
    assert second.step == 2
    # --epochs extends a finished run (a low-learning-rate tail: --lr with it); config.json keeps both.
    done = train(replace(cfg, max_steps=None), resume=True)
    assert done.stopped != "max_steps" and done.step > 2
    longer = train(replace(cfg, max_steps=None, epochs=cfg.epochs + 1, lr=1e-4), resume=True)
    assert longer.step == done.step // cfg.epochs * (cfg.epochs + 1)
    saved = json.loads((tmp_path / "r" / "config.json").read_text())
    assert (saved["config"]["epochs"], saved["config"]["lr"]) == (cfg.epochs + 1, 1e-4)


def test_bad_config_is_a_clear_error(tmp_path):
    with pytest.raises(I2IError, match="multiple of 4"):
        FastStyleConfig(style="starry", data=str(tmp_path), out=str(tmp_path / "r"), size=30)
    with pytest.raises(I2IError, match="unknown --amp"):
        FastStyleConfig(style="starry", data=str(tmp_path), out=str(tmp_path / "r"), amp="int8")
    with pytest.raises(I2IError, match="--load-size"):
        FastStyleConfig(style="starry", data=str(tmp_path), out=str(tmp_path / "r"), size=32, load_size=16)
    for pad in (6, 32):
        with pytest.raises(I2IError, match="--pad"):
            FastStyleConfig(style="starry", data=str(tmp_path), out=str(tmp_path / "r"), size=32, pad=pad)


def test_load_size_crops_at_that_scale_instead_of_shrinking_the_photo(tmp_path):
    # A 64x48 photo with a 2-px vertical stripe pattern: resized to the crop side (16) the stripes blur
    # away; resized to load_size 48 (its own scale) a 16-px crop keeps them.
    stripes = (torch.arange(64) // 2 % 2).float().expand(48, 64) * 255
    Image.fromarray(stripes.byte().numpy()).convert("RGB").save(tmp_path / "s.png")
    shrunk = PhotoCrops(tmp_path, 16, train=False)[0]
    native = PhotoCrops(tmp_path, 16, train=False, load_size=48)[0]
    assert shrunk.shape == native.shape == (3, 16, 16)
    assert native[0].diff(dim=1).abs().mean() > 0.4 > 4 * shrunk[0].diff(dim=1).abs().mean()


def test_bf16_autocast_trains_with_float32_losses(setup, tmp_path, monkeypatch):
    _, weights, photos = setup
    seen = []  # the dtype of the network's output in each call of the loss (check passes, then steps)
    original = fast_style.perceptual_losses

    def spy(features, net, x, grams, cfg, precision):
        hook = net.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
        try:
            return original(features, net, x, grams, cfg, precision)
        finally:
            hook.remove()

    monkeypatch.setattr(fast_style, "perceptual_losses", spy)
    cfg = FastStyleConfig(
        style="starry", data=str(photos), out=str(tmp_path / "r"), max_steps=2, batch_size=2, size=32,
        style_size=64, backbone_weights=str(weights), sample_every=5, amp="bf16", log_every=1,
    )  # fmt: skip
    before = torch.get_default_dtype()
    result = train(cfg)
    assert result.step == 2 and torch.get_default_dtype() == before
    assert set(result.losses) == {"total", "content", "style", "tv"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in result.losses.values())  # read back
    assert seen[-2:] == [torch.bfloat16] * 2  # the two steps ran under bf16 autocast
    loaded = checkpoint.load(result.checkpoint)
    assert all(p.dtype == torch.float32 for p in loaded.module.parameters())


def test_a_style_loss_blow_up_stops_without_overwriting_the_model(setup, tmp_path, monkeypatch):
    """The failure this guard exists for: style loss 3.6e5 -> 1.7e7 overwrote a good model.pt."""
    from i2i.train import fast_style
    from i2i.train.harness import Diverged
    from i2i.train.rundir import load_state

    _, weights, photos = setup
    real = fast_style.perceptual_losses
    calls = {"n": 0}

    def blowing_up(*args, **kwargs):
        calls["n"] += 1
        terms = real(*args, **kwargs)
        return {k: v * 50 for k, v in terms.items()} if calls["n"] > 6 else terms

    monkeypatch.setattr(fast_style, "perceptual_losses", blowing_up)
    cfg = FastStyleConfig(
        style="starry", data=str(photos), out=str(tmp_path / "r"), max_steps=10, batch_size=2, size=32,
        style_size=64, backbone_weights=str(weights), log_every=1, state_every=2, sample_every=50, epochs=5,
        grad_check=False,  # its extra calls of the loss would shift the count
    )  # fmt: skip
    with pytest.raises(Diverged, match=r"diverged at step 7: total .* above 10 x its running median"):
        train(cfg)
    assert load_state(tmp_path / "r" / "last.pt")["step"] == 6
    assert not (tmp_path / "r" / "model.pt").exists()
    assert not (tmp_path / "r" / "checkpoints").exists()  # no snapshot either (every 500 steps)


def test_resume_mid_epoch_is_bit_identical(setup, tmp_path):
    _, weights, photos = setup
    cfg = FastStyleConfig(
        style="starry", data=str(photos), out=str(tmp_path / "straight"), max_steps=3, batch_size=2, size=32,
        style_size=64, backbone_weights=str(weights), sample_every=50, ema=0.5,
    )  # fmt: skip
    train(cfg)  # 3 photos at batch 2: 2 steps per epoch, so step 1 is mid-epoch
    split = replace(cfg, out=str(tmp_path / "split"))
    train(replace(split, max_steps=1))
    assert train(split, resume=True).step == 3
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    assert (a["epoch"], a["batch_in_epoch"]) == (b["epoch"], b["batch_in_epoch"]) == (1, 1)
    for key in ("net", "ema_net"):
        assert all(torch.equal(v, b[key][k]) for k, v in a[key].items()), key


def test_loss_presets_fill_the_taps_and_weights_and_explicit_values_win():
    from i2i.train.recipe_configs import STYLE_LAYERS

    johnson = FastStyleConfig(style="starry", data="x")
    assert (johnson.content_layer, johnson.style_layers, johnson.style_norm) == (
        "relu2_2",
        STYLE_LAYERS,
        "none",
    )
    assert (johnson.content_weight, johnson.style_weight, johnson.scales) == (1e5, 1e10, (1.0,))
    gatys = FastStyleConfig(style="starry", data="x", loss="gatys", style_weight=60, loss_scales="0.5,1")
    assert gatys.content_layer == "relu4_2" and gatys.style_norm == "target" and len(gatys.style_layers) == 5
    assert (gatys.content_weight, gatys.style_weight, gatys.scales) == (1.0, 60, (1.0, 0.5))
    for bad in ("", "1,x", "0", "1.5"):
        with pytest.raises(I2IError, match="--loss-scales must be comma-separated numbers in"):
            FastStyleConfig(style="starry", data="x", loss_scales=bad)
    balanced = FastStyleConfig(style="starry", data="x", style_norm="target", style_weight=3e6)
    assert (balanced.content_layer, balanced.style_layers, balanced.style_norm) == (
        "relu2_2",
        STYLE_LAYERS,
        "target",
    )
    with pytest.raises(I2IError, match="--style-norm target with --loss johnson needs --style-weight"):
        FastStyleConfig(style="starry", data="x", style_norm="target")
    with pytest.raises(I2IError, match="style_norm must be none or target"):
        FastStyleConfig(style="starry", data="x", style_norm="layer", style_weight=1.0)


def test_target_norm_makes_the_style_term_blind_to_a_layers_activation_scale():
    from i2i.losses import gram, style_loss, target_normalised

    torch.manual_seed(0)
    feats, painting = torch.rand(2, 8, 6, 6), torch.rand(1, 8, 5, 7)
    terms = []
    for k in (1.0, 7.0):  # a painting (and output) whose activations at this layer are k times larger
        grams = {"l": gram(painting * k)}
        terms.append(style_loss({"l": feats * k}, grams, target_normalised(grams, {"l": 2.0})))
    assert terms[0] > 0 and torch.allclose(terms[0], terms[1], rtol=1e-5)


def test_the_half_scale_term_compares_shrunk_outputs_with_the_painting_shrunk_alike(setup):
    """With scales 1 and 0.5 the loss is the mean of the full-size loss and the loss of everything shrunk by
    half; the shrink runs in float32 even under bf16 autocast (the CPU has no bf16 antialiased resize)."""
    from i2i.amp import Precision
    from i2i.features.vgg import load_vgg

    _, weights, _ = setup
    torch.manual_seed(0)
    x, style, net = torch.rand(2, 3, 32, 32), torch.rand(1, 3, 48, 40), torch.nn.Conv2d(3, 3, 3, padding=1)
    both = FastStyleConfig(style="starry", data="x", loss="gatys", loss_scales="1,0.5")
    cfg = {s: replace(both, loss_scales=s) for s in ("1", "0.5")}
    features = load_vgg("vgg16", ["relu4_2", *both.style_layers], str(weights))
    fp32 = Precision(torch.device("cpu"), "none")

    def total(c, image, precision=fp32):
        targets = fast_style.style_targets(features, style, c)
        return fast_style.perceptual_losses(features, net, image, targets, c, precision)["total"]

    mean = (total(cfg["1"], x) + total(cfg["0.5"], x)) / 2
    assert torch.allclose(total(both, x), mean, rtol=1e-5)
    half = fast_style.style_targets(features, style, cfg["0.5"])[0]
    assert half.scale == 0.5 and half.grams["relu1_1"].shape == (1, 64, 64)
    assert torch.isfinite(total(both, x, Precision(torch.device("cpu"), "bf16")))


def test_grid_weight_adds_the_weighted_grid_loss_of_the_output(setup):
    from i2i.amp import Precision
    from i2i.features.vgg import load_vgg
    from i2i.losses import grid_loss

    _, weights, _ = setup
    torch.manual_seed(0)
    x, style, net = torch.rand(2, 3, 32, 32), torch.rand(1, 3, 48, 40), torch.nn.Conv2d(3, 3, 3, padding=1)
    plain = FastStyleConfig(style="starry", data="x")
    gridded = replace(plain, grid_weight=1e6)
    features = load_vgg("vgg16", [plain.content_layer, *plain.style_layers], str(weights))
    fp32 = Precision(torch.device("cpu"), "none")
    targets = fast_style.style_targets(features, style, plain)
    without = fast_style.perceptual_losses(features, net, x, targets, plain, fp32)
    withgrid = fast_style.perceptual_losses(features, net, x, targets, gridded, fp32)
    with torch.no_grad():
        expected = 1e6 * grid_loss((net(x * 2 - 1) + 1) / 2)
    assert "grid" not in without and expected > 0
    torch.testing.assert_close(withgrid["grid"], expected)
    torch.testing.assert_close(withgrid["total"], without["total"] + expected)
    with pytest.raises(I2IError, match="grid-weight must be >= 0"):
        FastStyleConfig(style="starry", data="x", grid_weight=-1.0)
    with pytest.raises(I2IError, match="--grid-weight needs --size 32 or more"):
        FastStyleConfig(style="starry", data="x", grid_weight=1.0, size=28)
