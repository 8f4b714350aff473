"""Inception-v3 taps: names, truncation after the deepest tap, frozen parameters, clear errors."""

from __future__ import annotations

import pytest
import torch
import torchvision

from i2i.errors import I2IError
from i2i.features.inception import TAPS, check_taps, from_torchvision


@pytest.fixture(scope="module")
def random_inception():
    return torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)


def test_taps_come_back_with_keras_names_and_shapes(random_inception):
    taps = from_torchvision(random_inception, ["mixed2", "mixed7"])
    out = taps(torch.rand(1, 3, 299, 299))
    assert set(out) == {"mixed2", "mixed7"}
    assert out["mixed2"].shape == (1, 288, 35, 35)
    assert out["mixed7"].shape == (1, 768, 17, 17)


def test_stages_after_the_deepest_tap_are_dropped(random_inception):
    taps = from_torchvision(random_inception, ["mixed0"])
    assert taps.stage_taps[-1] == "mixed0"
    assert len(taps.stages) == 8


def test_frozen_but_gradients_reach_the_input(random_inception):
    taps = from_torchvision(random_inception, ["mixed1"])
    assert not any(p.requires_grad for p in taps.parameters())
    taps.train()
    assert not taps.training
    x = torch.rand(1, 3, 120, 160, requires_grad=True)
    taps(x)["mixed1"].square().mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_bad_layer_names_list_the_valid_ones():
    with pytest.raises(
        I2IError, match=r"unknown Inception-v3 layer\(s\) mixed11, conv9; valid: mixed0, mixed1"
    ):
        check_taps(["mixed3", "mixed11", "conv9"])
    assert len(TAPS) == 11
