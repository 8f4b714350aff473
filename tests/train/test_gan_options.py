"""GAN options shared by the recipes: ``--upsample`` reaches the release checkpoint's arch kwargs, and
``--holdout`` keeps the held-back files out of training and records them in config.json."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from i2i import checkpoint
from i2i.data.holdout import holdout_files
from i2i.errors import I2IError
from i2i.imageio import list_images
from i2i.train import cyclegan, pix2pix
from tests.train.conftest import tiny_config
from tests.train.test_cyclegan import tiny_cyclegan_config, write_unpaired


def test_upsample_goes_into_the_generator_arch_and_the_default_stays_the_reference_layout(tmp_path):
    default = cyclegan.CycleGAN(tiny_cyclegan_config(tmp_path), None).generator_arch()  # type: ignore[arg-type]
    assert "upsample" not in default.kwargs
    cfg = tiny_cyclegan_config(tmp_path, upsample="resize-conv")
    arch = cyclegan.CycleGAN(cfg, None).generator_arch()  # type: ignore[arg-type]
    assert arch.kwargs["upsample"] == "resize-conv"
    p2p = pix2pix.Pix2Pix(tiny_config(tmp_path, upsample="resize-conv"), None).generator_arch()  # type: ignore[arg-type]
    assert p2p.kwargs["upsample"] == "resize-conv" and p2p.kwargs["num_downs"] == 5
    with pytest.raises(I2IError, match="upsample"):
        tiny_cyclegan_config(tmp_path, upsample="bilinear")


def test_cyclegan_with_resize_conv_and_holdout_releases_what_it_trained(tmp_path):
    data = write_unpaired(tmp_path / "red2blue", n_a=6, n_b=5)
    run = tmp_path / "run"
    cfg = tiny_cyclegan_config(data, max_steps=1, upsample="resize-conv", holdout=0.2)
    result = cyclegan.train(cfg, run_dir=run)
    loaded = checkpoint.load(result.checkpoint)
    assert loaded.header.arch.kwargs["upsample"] == "resize-conv"
    assert any(isinstance(m, nn.Upsample) for m in loaded.module.modules())
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in loaded.module.modules())
    with torch.no_grad():
        assert loaded.module(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    held = json.loads((run / "config.json").read_text())["held_out"]
    for folder in ("trainA", "trainB"):
        assert held[folder] == [p.name for p in holdout_files(list_images(data / folder)[0], 0.2)]
    assert len(held["trainA"]) == 2 and len(held["trainB"]) == 1


def test_pix2pix_holds_back_a_share_of_the_train_split_only(tiny_ab, tmp_path):
    run = tmp_path / "run"
    pix2pix.train(tiny_config(tiny_ab, max_steps=1, holdout=0.25), run_dir=run)
    config = json.loads((run / "config.json").read_text())
    assert config["held_out"] == {
        "train": [p.name for p in holdout_files(list_images(tiny_ab / "train")[0], 0.25)]
    }
    assert len(config["held_out"]["train"]) == 1
