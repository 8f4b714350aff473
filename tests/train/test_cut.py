"""CUT / FastCUT training: a tiny run ends in an exported, translatable one-direction generator; exact
resume; the CUT and FastCUT loss terms; flip-equivariance wiring; DDP; EMA snapshots; the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.nn import PatchSampleMLP, build_generator
from i2i.nn.resample import BlurDownsample, BlurUpsample
from i2i.train import cut
from i2i.train.rundir import read_jsonl
from tests.train.test_cyclegan import _free_port, write_unpaired
from tests.zoo.helpers import zoo_env

__all__ = ["zoo_env"]  # fixture


def tiny_cut_config(data: Path, **overrides: Any) -> cut.CUTConfig:
    """resnet_6blocks (PatchNCE layer 16 is its block 5), ngf/ndf 4, 32 px crops, 16 patches."""
    base: dict[str, Any] = {
        "data": str(data),
        "netG": "resnet_6blocks",
        "ngf": 4,
        "ndf": 4,
        "load_size": 36,
        "crop_size": 32,
        "num_patches": 16,
        "workers": 0,
        "device": "cpu",
        "epochs": 1,
        "epochs_decay": 1,
        "log_every": 1,
        "sample_every": 2,
        "n_samples": 2,
        "seed": 5,
    }
    base.update(overrides)
    return cut.CUTConfig(**base)


@pytest.fixture
def unpaired(tmp_path: Path) -> Path:
    return write_unpaired(tmp_path / "red2blue")


def test_two_steps_end_in_an_exported_generator_that_translates_and_registers(unpaired, tmp_path, zoo_env):
    from i2i.cli.main import app
    from i2i.export import export_checkpoint

    run = tmp_path / "run"
    result = cut.train(tiny_cut_config(unpaired, max_steps=2), run_dir=run)
    assert result.step == 2 and result.stopped == "max_steps"
    (path,) = result.checkpoints
    assert path.name == "generator_red2blue.pt"
    h = checkpoint.load(path).header
    assert (h.task, h.direction, h.domains, h.name) == ("cut", "AtoB", ("red", "blue"), "red2blue")
    assert h.arch.name == "resnet_6blocks" and h.io.size_multiple == 4
    assert (h.arch.kwargs["downsample"], h.arch.kwargs["upsample"]) == ("blur", "blur")
    assert "residual" not in h.arch.kwargs  # off: the checkpoint reads as before the option existed
    assert "decoder_norm" not in h.arch.kwargs
    G = checkpoint.load(path).module
    assert any(isinstance(m, BlurDownsample) for m in G.modules())
    assert any(isinstance(m, BlurUpsample) for m in G.modules())

    records = [r for r in read_jsonl(run / "train_log.jsonl") if r["kind"] == "train"]
    assert [r["step"] for r in records] == [1, 2]
    assert set(cut.LOSS_KEYS) <= set(records[-1]) and all(np.isfinite(records[-1][k]) for k in cut.LOSS_KEYS)
    grid = Image.open(run / "samples" / "step_0000002.png")
    assert grid.height > 2 * 32 and grid.width > 4 * 32  # 2 rows of real A, fake B, real B, identity B
    assert (run / "loss_curves.png").is_file() and (run / "last.pt").is_file()
    config = json.loads((run / "config.json").read_text())
    assert config["task"] == "cut" and config["config"]["lambda_NCE"] == 1.0 and "held_out" not in config

    onnx_path = export_checkpoint(path).path
    image = tmp_path / "in" / "photo.png"
    image.parent.mkdir()
    Image.fromarray(np.full((30, 42, 3), 200, dtype=np.uint8)).save(image)
    out = tmp_path / "out"
    translated = CliRunner().invoke(app, ["translate", "-m", str(onnx_path), str(image), str(out)])
    assert translated.exit_code == 0, translated.output
    assert Image.open(out / "photo.png").size == (42, 30)

    runner = CliRunner()
    added = runner.invoke(app, ["models", "add", "red2blue", str(onnx_path), "--licence", "MIT"])
    assert added.exit_code == 0, added.output
    (model,) = json.loads(runner.invoke(app, ["models", "list", "--json"]).stdout)["models"]
    assert (model["name"], model["task"], model["direction"]) == ("red2blue", "cut", "AtoB")
    by_name = runner.invoke(app, ["translate", "-m", "red2blue", str(image), str(tmp_path / "named")])
    assert by_name.exit_code == 0, by_name.output
    assert (tmp_path / "named" / "photo.png").is_file()


def _state(run_dir: Path) -> dict[str, Any]:
    return torch.load(run_dir / "last.pt", weights_only=True)


def test_interrupted_and_resumed_fastcut_is_bit_identical(unpaired, tmp_path):
    # FastCUT draws a flip coin, patch locations and (with --diffaug) shifts and cutouts from the torch
    # RNG every step; 5 steps per epoch, so 7 steps cross an epoch boundary and the lr decay of all three
    # optimizers.
    options = {"fast": True, "diffaug": "translation,cutout"}
    cut.train(tiny_cut_config(unpaired, **options, max_steps=7), run_dir=tmp_path / "straight")
    cut.train(tiny_cut_config(unpaired, **options, max_steps=3), run_dir=tmp_path / "split")
    cfg = cut.load_config(tmp_path / "split", max_steps=7)
    assert cfg.fast and cfg.flip_equivariance and cfg.lambda_NCE == 10.0
    assert cfg.diffaug == "translation,cutout"
    assert cut.train(cfg, run_dir=tmp_path / "split", resume=True).step == 7
    a, b = _state(tmp_path / "straight"), _state(tmp_path / "split")
    for net in ("G", "D", "F"):
        assert a[net].keys() == b[net].keys()
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net]), net
        assert a[f"opt_{net}"]["param_groups"][0]["lr"] == b[f"opt_{net}"]["param_groups"][0]["lr"] < 2e-4


def test_init_from_starts_a_new_run_at_another_runs_weights(unpaired, tmp_path):
    # The source keeps an EMA of G; the new run (at another crop size, lr 0 so nothing moves) starts G and
    # its EMA at that average, D and the PatchNCE head at the source's raw weights, and its own step 0.
    source = tmp_path / "source"
    cut.train(tiny_cut_config(unpaired, max_steps=3, ema=0.5), run_dir=source)
    cfg = tiny_cut_config(unpaired, max_steps=2, ema=0.9, lr=0.0, load_size=48, crop_size=40,
                          init_from=str(source))  # fmt: skip
    result = cut.train(cfg, run_dir=tmp_path / "tuned")
    assert result.step == 2
    a, b = _state(source), _state(tmp_path / "tuned")
    for net, want in (("G", a["ema_G"]), ("D", a["D"]), ("F", a["F"]), ("ema_G", a["ema_G"])):
        assert all(torch.equal(b[net][k], want[k]) for k in want), net
    assert not all(torch.equal(a["G"][k], a["ema_G"][k]) for k in a["G"])  # the EMA is not the raw G
    events = [r for r in read_jsonl(tmp_path / "tuned" / "train_log.jsonl") if r["kind"] == "event"]
    assert events[1]["message"] == f"weights from {source}" and events[1]["source_step"] == 3
    changed = {"load_size": [36, 48], "crop_size": [32, 40], "lr": [2e-4, 0.0], "ema": [0.5, 0.9]}
    assert events[1]["changed"] == changed  # what differs from the source's config.json
    wider = tiny_cut_config(unpaired, max_steps=1, ngf=8, init_from=str(source))
    with pytest.raises(I2IError, match=r"--init-from .*its G does not fit this run's .*--ngf"):
        cut.train(wider, run_dir=tmp_path / "wider")
    with pytest.raises(I2IError, match=r"--init-from .*: no last.pt \(give a run folder"):
        cut.train(tiny_cut_config(unpaired, max_steps=1, init_from=str(tmp_path)), run_dir=tmp_path / "none")


def test_cut_and_fastcut_defaults_and_overrides(tmp_path):
    normal, fast = cut.CUTConfig(data="x"), cut.CUTConfig(data="x", fast=True)
    assert (normal.lambda_NCE, normal.nce_idt, normal.flip_equivariance) == (1.0, True, False)
    assert (normal.epochs, normal.epochs_decay) == (200, 200)
    assert (fast.lambda_NCE, fast.nce_idt, fast.flip_equivariance) == (10.0, False, True)
    assert (fast.epochs, fast.epochs_decay) == (150, 50)
    for c in (normal, fast):
        assert (c.netG, c.norm, c.gan_mode, c.init, c.init_gain) == (
            *("resnet_9blocks", "instance", "lsgan", "xavier"),
            0.02,
        )
        assert (c.lr, c.beta1, c.beta2, c.batch_size, c.load_size, c.crop_size) == (
            2e-4,
            0.5,
            0.999,
            1,
            286,
            256,
        )
        assert (c.layers(), c.num_patches, c.nce_temperature) == ((0, 4, 8, 12, 16), 256, 0.07)
        assert (c.downsample, c.upsample, c.antialias_D) == ("blur", "blur", True)
        assert not c.dropout and c.flip
    mixed = cut.CUTConfig(data="x", fast=True, nce_idt=True, lambda_NCE=2.0, epochs=3)
    assert (mixed.nce_idt, mixed.lambda_NCE, mixed.epochs, mixed.epochs_decay) == (True, 2.0, 3, 50)
    with pytest.raises(I2IError, match="nce-layers"):
        cut.CUTConfig(data="x", nce_layers="0,four")
    with pytest.raises(I2IError, match="diffaug: unknown transform 'flip'"):
        cut.CUTConfig(data="x", diffaug="translation,flip")
    assert cut.CUTConfig(data="x").diffaug == ""  # off unless asked for: the papers' recipes have none
    with pytest.raises(I2IError, match="holdout"):
        cut.CUTConfig(data="x", holdout=1.0)


@pytest.mark.parametrize("fast", [False, True])
def test_loss_terms_of_cut_and_fastcut(unpaired, tmp_path, fast):
    result = cut.train(tiny_cut_config(unpaired, fast=fast, max_steps=1), run_dir=tmp_path / "run")
    losses = result.losses
    assert ("NCE_Y" in losses) is not fast
    if fast:  # G_GAN + lambda_NCE * NCE(x, G(flip?(x))), lambda_NCE = 10 already in NCE
        assert losses["G"] == pytest.approx(losses["G_GAN"] + losses["NCE"], rel=1e-6)
        assert losses["NCE"] > 10 * np.log(16) * 0.5  # ~ 10 * log(16) for a fresh head
    else:  # G_GAN + 0.5 * (NCE + NCE_Y), lambda_NCE = 1
        assert losses["G"] == pytest.approx(
            losses["G_GAN"] + 0.5 * (losses["NCE"] + losses["NCE_Y"]), rel=1e-6
        )
        assert losses["NCE"] < 2 * np.log(16)
    assert losses["D"] == pytest.approx(0.5 * (losses["D_real"] + losses["D_fake"]), rel=1e-6)


def test_diffaug_shows_d_augmented_reals_and_fakes_in_both_updates(unpaired, tmp_path, monkeypatch):
    seen: list[tuple[tuple[str, ...], bool]] = []

    def spy(x: torch.Tensor, policy: tuple[str, ...]) -> torch.Tensor:
        seen.append((tuple(policy), x.requires_grad))
        return real_augment(x, policy)

    real_augment = cut.diff_augment
    monkeypatch.setattr(cut, "diff_augment", spy)
    cfg = tiny_cut_config(unpaired, fast=True, diffaug="cutout, translation", max_steps=1)
    losses = cut.train(cfg, run_dir=tmp_path / "run").losses
    assert all(np.isfinite(v) for v in losses.values())
    # D's update: the detached fake, then the real; G's update: the fake with its graph (G learns through it).
    # The run-start gradient check runs the same step first (float32, then bf16 where --amp auto is bf16).
    policy = ("cutout", "translation")
    assert len(seen) % 3 == 0 and seen[-3:] == [(policy, False), (policy, False), (policy, True)]
    assert seen == seen[-3:] * (len(seen) // 3)


def test_patchnce_forward_flips_the_output_features_back_and_shares_locations():
    torch.manual_seed(0)
    G = build_generator("resnet_6blocks", ngf=4, downsample="blur", upsample="blur")
    layers = (0, 4, 8, 12, 16)
    head = PatchSampleMLP(in_channels=G.feature_channels(layers))
    forward = cut.PatchNCEForward(G, head, layers, num_patches=8)
    real = torch.rand(2, 3, 16, 20) * 2 - 1
    flipped_input = torch.flip(real, dims=[3])
    torch.manual_seed(1)
    out, pairs = forward(flipped_input, real, True, 1)
    assert torch.equal(out, G(flipped_input)) and len(pairs) == 2
    # by hand: keys sampled first on real's features, queries at the same places on the flipped-back output
    torch.manual_seed(1)
    feats_q = [torch.flip(f, dims=[3]) for f in G.encode(G(flipped_input), layers)]
    feats_k = G.encode(real, layers)
    for i, (q, k) in enumerate(pairs):
        keys, ids = head([f[i : i + 1] for f in feats_k], 8)
        queries, _ = head([f[i : i + 1] for f in feats_q], 8, patch_ids=ids)
        assert all(torch.equal(a, b) for a, b in zip(k, keys, strict=True))
        assert all(torch.equal(a, b) for a, b in zip(q, queries, strict=True))


def test_ema_snapshots_and_the_held_back_files(unpaired, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_cut_config(unpaired, max_steps=2, ema=0.9, snapshot_every=2, holdout=0.25)
    result = cut.train(cfg, run_dir=run)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step_0000002_generator_red2blue.pt"]
    state = _state(run)
    released = checkpoint.load(result.checkpoint).module.state_dict()
    assert all(torch.equal(v, state["ema_G"][k]) for k, v in released.items())
    config = json.loads((run / "config.json").read_text())
    # 4 red, 5 blue images: ceil(0.25 * n) held back by name hash, never trained on
    assert config["config"]["holdout"] == 0.25
    held = config["held_out"]
    assert len(held["trainA"]) == 1 and len(held["trainB"]) == 2
    assert checkpoint.load(result.checkpoint).header.recipe["holdout"] == 0.25


def test_cli_trains_fastcut_with_holdout_resize_conv_residual_decoder_norm_and_diffaug(unpaired, tmp_path):
    from i2i.cli.main import app

    args = ["train", "cut", "--data", str(unpaired), "--out", str(tmp_path / "cli"), "--fast"]
    args += [
        "--net-g",
        "resnet_6blocks",
        "--ngf",
        "4",
        "--ndf",
        "4",
        "--image-size",
        "32",
        "--max-steps",
        "1",
    ]
    args += ["--workers", "0", "--num-patches", "8", "--holdout", "0.2", "--upsample", "resize-conv"]
    args += ["--no-antialias-d", "--nce-idt", "--residual", "--diffaug", "translation"]
    args += ["--decoder-norm", "layer"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    path = tmp_path / "cli" / "generator_red2blue.pt"
    h = checkpoint.load(path).header
    assert h.arch.kwargs["upsample"] == "resize-conv" and h.recipe["fast"] and not h.recipe["antialias_D"]
    assert h.arch.kwargs["residual"] is True and checkpoint.load(path).module.residual
    assert (
        h.arch.kwargs["decoder_norm"] == "layer" and cut.load_config(tmp_path / "cli").decoder_norm == "layer"
    )
    assert isinstance(checkpoint.load(path).module.up[2], torch.nn.GroupNorm)
    assert h.recipe["diffaug"] == "translation"
    exported = CliRunner().invoke(app, ["export", str(path), "-o", str(tmp_path / "res.onnx")])
    assert exported.exit_code == 0, exported.output  # the export verifies the skip and clamp against torch
    assert h.recipe["nce_idt"] and h.recipe["flip_equivariance"] and h.recipe["lambda_NCE"] == 10.0
    assert json.loads((tmp_path / "cli" / "config.json").read_text())["config"]["holdout"] == 0.2


def test_two_cpu_ranks_stay_in_sync_and_only_rank_0_writes(unpaired, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2"]
    cmd += ["--master_addr=127.0.0.1", f"--master_port={_free_port()}"]
    cmd += [
        str(Path(__file__).with_name("cut_ddp_worker.py")),
        str(unpaired),
        str(tmp_path / "run"),
        str(results),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0, r1 = (json.loads((results / f"rank{k}.json").read_text()) for k in (0, 1))
    assert r0["step"] == r1["step"] == 3
    assert r0["wrapped"] == ["DistributedDataParallel", "DistributedDataParallel"]
    assert r0["digest"] == r1["digest"]  # G, D and the head: identical on both ranks
    assert r1["writes"] == [] and {"save_state", "write_json", "save"} <= set(r0["writes"])
    steps = [r["step"] for r in read_jsonl(tmp_path / "run" / "train_log.jsonl") if r["kind"] == "train"]
    assert steps == [1, 2, 3]


def test_kid_probe_on_the_held_back_files_ranks_the_snapshots(unpaired, tmp_path, monkeypatch):
    import shutil

    from i2i.eval import inception_features
    from tests.train.test_cyclegan_eval import StandInInception

    monkeypatch.setattr(inception_features, "FIDInception", StandInInception)
    for folder in ("testA", "testB"):  # no test split: the probe scores the held-back train files
        shutil.rmtree(unpaired / folder)
    run = tmp_path / "run"
    cfg = tiny_cut_config(
        unpaired, max_steps=3, eval_every=1, eval_images=4, snapshot_every=1, keep_snapshots=1, holdout=0.25
    )
    cut.train(cfg, run_dir=run)
    evals = [r for r in read_jsonl(run / "train_log.jsonl") if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [1, 2, 3] and all(np.isfinite(r["eval_KID"]) for r in evals)
    assert all(r["eval_images"] == 2 for r in evals)  # 1 held-back red, 2 blue (4 without --holdout)
    best = min(evals, key=lambda r: r["eval_KID"])["step"]
    kept = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert kept == sorted({f"step_{s:07d}_generator_red2blue.pt" for s in (best, 3)})


def test_decay_epochs_load_at_the_crop_size_as_the_authors_do(unpaired):
    from dataclasses import replace

    from rich.console import Console

    from i2i.amp import Precision
    from i2i.data.datasets import UnalignedDataset
    from i2i.data.transforms import TransformSpec
    from i2i.train.distributed import DistContext
    from i2i.train.harness import Env

    # The dataset: jitter (40 px files resized to 36, random 32-px crops) until epoch 2, then the whole
    # image resized to 32 as in evaluation (flips off here, so the two are equal).
    spec = TransformSpec(load_size=36, crop_size=32, flip=False)
    data = UnalignedDataset(unpaired, spec=spec, seed=1, crop_load_from=2)
    whole = UnalignedDataset(unpaired, spec=spec, train=False)
    for epoch, jitter in ((0, True), (1, True), (2, False), (3, False)):
        data.set_epoch(epoch)
        same = [torch.equal(data[i]["A"], whole[i]["A"]) for i in range(len(data.paths_a))]
        assert (not all(same)) if jitter else all(same), epoch
    # The recipe: from its first decay epoch (0-based --epochs), unless --jitter-in-decay.
    cfg = tiny_cut_config(unpaired, epochs=3, epochs_decay=2)
    for options, expected in (({}, 3), ({"jitter_in_decay": True}, None)):
        run = replace(cfg, **options)
        recipe = cut.CUT(run, Env(run, DistContext(), Precision(torch.device("cpu")), Console(quiet=True)))
        recipe.build()
        assert recipe.train_set.crop_load_from == expected
