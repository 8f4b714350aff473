"""Unpaired evaluation: split choice, direction, limits, and FID/KID end to end on a tiny set."""

from __future__ import annotations

import pytest
from PIL import Image

from i2i.errors import I2IError
from i2i.eval.unpaired import eval_unpaired, unpaired_split
from tests.eval.helpers import identity_onnx, require_fid_weights, smooth_image


def _unaligned(root, splits=("train", "test"), count=4, size=32):
    for split in splits:
        for side, offset in (("A", 0), ("B", 100)):
            folder = root / f"{split}{side}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                Image.fromarray(smooth_image(size, offset + i)).save(folder / f"{i}.png")
    return root


def test_split_prefers_test_and_direction_swaps_folders(tmp_path):
    root = _unaligned(tmp_path / "d", splits=("train",))
    assert unpaired_split(root, "AtoB") == ("train", root / "trainA", root / "trainB")
    _unaligned(root, splits=("test",))
    assert unpaired_split(root, "BtoA") == ("test", root / "testB", root / "testA")
    with pytest.raises(I2IError, match="CycleGAN dataset"):
        unpaired_split(tmp_path, "AtoB")


def test_bad_limits_and_busy_out_folder_are_errors(tmp_path):
    root = _unaligned(tmp_path / "d", splits=("train",))
    model = identity_onnx(tmp_path / "id.onnx", task="cyclegan")
    with pytest.raises(I2IError, match="--limit must be >= 2"):
        eval_unpaired(str(model), str(root), limit=1)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.png").write_bytes(b"")
    with pytest.raises(I2IError, match="not empty"):
        eval_unpaired(str(model), str(root), out=busy)


def test_identity_model_on_its_own_target_domain_has_fid_zero(tmp_path):
    """BtoA identity on a set whose A and B folders hold the same images: translations == real images."""
    root = tmp_path / "d"
    _unaligned(root, splits=("train",), count=5)
    for i in range(5):  # make trainA a copy of trainB
        (root / "trainA" / f"{i}.png").write_bytes((root / "trainB" / f"{i}.png").read_bytes())
    model = identity_onnx(tmp_path / "id.onnx", direction="AtoB", task="cyclegan")
    require_fid_weights()
    scores = eval_unpaired(str(model), str(root), out=tmp_path / "fakes", kid_subsets=3)
    assert (scores.split, scores.direction, scores.fake_count, scores.real_count) == ("train", "AtoB", 5, 5)
    assert scores.fid < 1e-3
    # KID is unbiased for independent samples; two copies of one set give a small negative value, not 0.
    assert scores.kid_mean < 0
    assert sorted(p.name for p in (tmp_path / "fakes").iterdir()) == [f"{i}.png" for i in range(5)]
    # an identity translation scores exactly what its untranslated inputs score
    assert scores.untranslated_fid == pytest.approx(scores.fid, abs=1e-6)
    assert scores.untranslated_kid == pytest.approx(scores.kid_mean)
    assert scores.kid_ratio != scores.kid_ratio  # NaN: the untranslated inputs already are the target set
    assert scores.checkerboard == pytest.approx(1.0) and scores.held_out is None


def test_holdout_scores_only_the_held_back_train_files(tmp_path):
    from i2i.data.holdout import holdout_files

    root = _unaligned(tmp_path / "d", splits=("train", "test"), count=10)
    model = identity_onnx(tmp_path / "id.onnx", direction="AtoB", task="cyclegan")
    require_fid_weights()
    scores = eval_unpaired(str(model), str(root), holdout=0.2, kid_subsets=2)
    held = [p.name for p in holdout_files(sorted((root / "trainA").iterdir()), 0.2)]
    assert scores.split == "held-back 0.2 of train" and scores.source == str(root / "trainA")
    assert scores.held_out == held and (scores.fake_count, scores.real_count) == (2, 2)
    assert scores.kid_ratio == pytest.approx(1.0)


def test_ratio_error_pairs_each_translation_with_its_own_input(tmp_path):
    """Identity translations score exactly like their inputs image by image, so every leave-one-out ratio
    is 1 and the error 0, if each translation is paired with its input. The names are chosen so that the
    PNG translations sort in another order than their JPEG inputs: "a.jpg" < "a.k.jpg", "a.k.png" < "a.png".
    """
    root = _unaligned(tmp_path / "d", splits=("train",), count=5)
    for i, name in enumerate(("a.jpg", "a.k.jpg", "b.jpg", "b.k.jpg", "c.jpg")):
        Image.fromarray(smooth_image(32, 50 + i)).save(root / "trainA" / name, quality=95)
        (root / "trainA" / f"{i}.png").unlink()
        dark = smooth_image(32, 100 + i) // 4  # a target domain clearly apart, so every baseline KID > 0
        Image.fromarray(dark).save(root / "trainB" / f"{i}.png")
    model = identity_onnx(tmp_path / "id.onnx", direction="AtoB", task="cyclegan")
    require_fid_weights()
    scores = eval_unpaired(str(model), str(root), kid_subsets=2)
    assert scores.kid_ratio == pytest.approx(1.0)
    assert scores.kid_ratio_se == pytest.approx(0.0, abs=1e-6)


def _dark_target(root, count=6):
    """trainA: smooth images; trainB: darker ones, so a model that darkens moves A towards B."""
    _unaligned(root, splits=("train",), count=count)
    for i in range(count):
        Image.fromarray(smooth_image(32, 100 + i) // 3).save(root / "trainB" / f"{i}.png")
    return root


def test_compare_scores_each_model_as_eval_model_does_and_their_paired_difference(tmp_path):
    from i2i.eval.unpaired import compare_unpaired

    root = _dark_target(tmp_path / "d")
    same = identity_onnx(tmp_path / "id.onnx", direction="AtoB", task="cyclegan")
    darker = identity_onnx(tmp_path / "dark.onnx", direction="AtoB", task="cyclegan", gain=0.4)
    require_fid_weights()
    result = compare_unpaired(str(same), str(darker), str(root), kid_subsets=2)
    for model, scores in ((same, result.first), (darker, result.second)):
        alone = eval_unpaired(str(model), str(root), kid_subsets=2)
        assert scores.model == alone.model and scores.fake_count == alone.fake_count == 6
        assert scores.kid_ratio == pytest.approx(alone.kid_ratio)
        assert scores.kid_ratio_se == pytest.approx(alone.kid_ratio_se)
        assert scores.checkerboard == pytest.approx(alone.checkerboard)
    assert result.first.kid_ratio == pytest.approx(1.0)  # the identity scores what its inputs score
    assert result.second.kid_ratio < 1.0  # darkening moves the apples towards the dark target domain
    assert result.ratio_difference == pytest.approx(result.second.kid_ratio - result.first.kid_ratio)
    assert 0 < result.ratio_difference_se < float("inf")
    twice = compare_unpaired(str(darker), str(darker), str(root), kid_subsets=2)
    assert (twice.ratio_difference, twice.ratio_difference_se) == pytest.approx((0.0, 0.0), abs=1e-9)


def test_compare_refuses_models_of_different_directions(tmp_path):
    from i2i.eval.unpaired import compare_unpaired

    root = _dark_target(tmp_path / "d")
    forward = identity_onnx(tmp_path / "ab.onnx", direction="AtoB", task="cyclegan")
    backward = identity_onnx(tmp_path / "ba.onnx", direction="BtoA", task="cyclegan")
    with pytest.raises(I2IError, match="different directions"):
        compare_unpaired(str(forward), str(backward), str(root), kid_subsets=2)
