"""Paired evaluation: split and direction handling, and the scores of an identity model (exact values)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from i2i.errors import I2IError
from i2i.eval.paired import effective_direction, eval_paired, evaluate_paired, find_split, split_pair
from tests.eval.helpers import aligned_split, identity_onnx


def test_direction_comes_from_the_model_and_contradictions_are_errors():
    assert effective_direction("BtoA", None) == "BtoA"
    assert effective_direction("BtoA", "BtoA") == "BtoA"
    assert effective_direction(None, "BtoA") == "BtoA"
    assert effective_direction(None, None) == "AtoB"
    with pytest.raises(I2IError, match="contradicts"):
        effective_direction("BtoA", "AtoB")
    with pytest.raises(I2IError, match="AtoB or BtoA"):
        effective_direction(None, "sideways")


def test_split_prefers_test_then_val_and_names_what_exists(tmp_path):
    aligned_split(tmp_path, "val", 2)
    aligned_split(tmp_path, "train", 1)
    assert find_split(tmp_path, None)[0] == "val"
    aligned_split(tmp_path, "test", 3)
    split, files = find_split(tmp_path, None)
    assert split == "test" and len(files) == 3
    with pytest.raises(I2IError, match=r"no nope/ split \(found: test, train, val\)"):
        find_split(tmp_path, "nope")


def test_split_pair_halves_and_resizes(tmp_path):
    img = Image.fromarray(
        np.concatenate([np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)], 1)
    )
    a, b = split_pair(img, tmp_path / "x.png")
    assert a.shape == b.shape == (3, 8, 8) and a.max() == 0 and b.min() == 1
    a, b = split_pair(img, tmp_path / "x.png", size=16)
    assert a.shape == (3, 16, 16)
    with pytest.raises(I2IError, match="not even"):
        split_pair(Image.new("RGB", (9, 8)), tmp_path / "x.png")


def test_identity_model_scores_exactly(tmp_path):
    data = aligned_split(tmp_path / "data", "val", 3, same=True)
    model = identity_onnx(tmp_path / "id.onnx", direction="BtoA")
    scores = eval_paired(str(model), str(data), lpips_net=None)
    assert (scores.split, scores.images, scores.direction, scores.size) == ("val", 3, "BtoA", "native")
    assert scores.l1 == 0.0 and scores.psnr == 100.0 and scores.ssim == pytest.approx(1.0, abs=1e-12)
    assert scores.lpips is None and scores.kid is None
    assert scores.checkerboard == pytest.approx(1.0)  # the output is the input: no extra periodic energy


def test_direction_picks_the_input_half(tmp_path):
    data = aligned_split(tmp_path / "data", "val", 2)
    files = find_split(data, "val")[1]
    pairs = [split_pair(Image.open(f).convert("RGB"), f) for f in files]
    for direction in ("AtoB", "BtoA"):
        expected = np.mean(
            [
                np.abs(0.5 * a - b).mean() if direction == "AtoB" else np.abs(0.5 * b - a).mean()
                for a, b in pairs
            ]
        )
        got = evaluate_paired(lambda x: 0.5 * x, files, direction=direction, multiple=4)
        assert got["l1"] == pytest.approx(expected, rel=1e-6) and got["images"] == 2 and got["lpips"] is None


def test_lpips_is_averaged_over_images(tmp_path):
    from tests.eval.test_lpips import _random_lpips

    data = aligned_split(tmp_path / "data", "val", 2)
    files = find_split(data, "val")[1]
    lp = _random_lpips("vgg")
    got = evaluate_paired(lambda x: x, files, direction="AtoB", multiple=4, lpips_model=lp)
    pairs = [split_pair(Image.open(f).convert("RGB"), f) for f in files]
    direct = [float(lp.distance(torch.from_numpy(b)[None], torch.from_numpy(a)[None])[0]) for a, b in pairs]
    assert got["lpips"] == pytest.approx(np.mean(direct), rel=1e-6)


def test_model_direction_mismatch_and_limits_are_errors(tmp_path):
    data = aligned_split(tmp_path / "data", "val", 2)
    model = identity_onnx(tmp_path / "id.onnx", direction="BtoA")
    with pytest.raises(I2IError, match="contradicts"):
        eval_paired(str(model), str(data), direction="AtoB", lpips_net=None)
    with pytest.raises(I2IError, match="--limit"):
        eval_paired(str(model), str(data), limit=0, lpips_net=None)
    assert eval_paired(str(model), str(data), limit=1, lpips_net=None).images == 1


def test_facades_label2photo_beats_trivial_outputs_on_real_val_images(shared_data):
    """The shipped model on the first 40 val pairs against two outputs that need no model, scored on the
    same pairs by the same code: a constant grey image and the input label map itself.

    Measured (the model retrained on correct gradients, OpenVINO): model L1 0.184 / PSNR 12.83 dB / SSIM
    0.236; grey 0.196 / 12.52 / 0.255; label map 0.406 / 6.44 / 0.071. On all 100 val pairs: model 0.182 /
    12.90 / 0.243, grey 0.193 / 12.62 / 0.262. So the model beats grey on L1 and PSNR and the label map on
    all three, but not grey on SSIM: a flat image keeps the facades' low-frequency structure score, and the
    CPU-trained model's SSIM is no better than that (docs/shipped_models.md). On the first 12 pairs alone
    its lead over grey shrinks to 0.005 L1 and 0.04 dB, hence 40. The test holds the model to what it
    achieves.
    """
    pairs = 40
    scores = eval_paired(
        "facades_label2photo", str(shared_data / "facades"), split="val", limit=pairs, lpips_net=None
    )
    assert scores.direction == "BtoA" and scores.images == pairs
    _, files = find_split(shared_data / "facades", "val")
    baseline = {
        name: evaluate_paired(output, files[:pairs], direction="BtoA", multiple=1)
        for name, output in (("grey", lambda x: np.full_like(x, 0.5)), ("label map", lambda x: x))
    }
    assert scores.l1 < baseline["grey"]["l1"] - 0.005 and scores.psnr > baseline["grey"]["psnr"] + 0.2
    assert scores.l1 < baseline["label map"]["l1"] / 2 and scores.psnr > baseline["label map"]["psnr"] + 5
    assert scores.ssim > baseline["label map"]["ssim"] + 0.1
