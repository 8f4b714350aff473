"""Paired transforms: same parameters for every image, explicit RNG, each preprocess mode's output size."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from i2i.data.transforms import (
    TransformParams,
    TransformSpec,
    apply_paired,
    example_rng,
    sample_params,
)
from i2i.errors import I2IError


def _noise(w: int, h: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def test_example_rng_depends_only_on_seed_epoch_index():
    draws = [example_rng(1, 2, 3).random() for _ in range(2)]
    assert draws[0] == draws[1]
    others = {example_rng(*key).random() for key in [(1, 2, 4), (1, 3, 3), (2, 2, 3), (0, 0, 0)]}
    assert draws[0] not in others and len(others) == 4


def test_apply_paired_uses_one_crop_and_flip_for_all_images():
    img = _noise(24, 24)
    spec = TransformSpec(load_size=24, crop_size=16, flip=True)
    seen = set()
    for index in range(12):
        a, b = apply_paired([img, img.copy()], spec, example_rng(0, 0, index))
        assert a.size == (16, 16)
        assert np.array_equal(np.asarray(a), np.asarray(b))
        seen.add(np.asarray(a).tobytes())
    assert len(seen) > 6  # the jitter really varies


def test_same_rng_state_gives_same_output_and_global_random_is_untouched():
    img = _noise(30, 20)
    spec = TransformSpec(load_size=32, crop_size=16)
    random.seed(123)
    before = random.getstate()
    (first,) = apply_paired([img], spec, random.Random(5))
    (second,) = apply_paired([img], spec, random.Random(5))
    assert random.getstate() == before
    assert np.array_equal(np.asarray(first), np.asarray(second))


@pytest.mark.parametrize(
    ("preprocess", "train", "size"),
    [
        ("resize_and_crop", True, (16, 16)),
        ("resize_and_crop", False, (16, 16)),
        ("crop", True, (16, 16)),
        ("crop", False, (40, 20)),
        ("scale_width", True, (32, 16)),
        ("scale_width", False, (16, 8)),
        ("scale_width_and_crop", True, (16, 16)),
        ("scale_width_and_crop", False, (16, 16)),
        ("none", True, (40, 20)),
        ("none", False, (40, 20)),
    ],
)
def test_output_size_per_mode(preprocess, train, size):
    spec = TransformSpec(load_size=32, crop_size=16, preprocess=preprocess)
    (out,) = apply_paired([_noise(40, 20)], spec, random.Random(0), train=train)
    assert out.size == size


def test_scale_width_keeps_aspect_ratio():
    spec = TransformSpec(load_size=40, crop_size=8, preprocess="scale_width")
    (out,) = apply_paired([_noise(20, 30)], spec, random.Random(0))
    assert out.size == (40, 60)


def test_none_only_pads_by_reflection_and_never_resizes():
    img = _noise(13, 7)
    spec = TransformSpec(preprocess="none", pad_multiple=8, flip=False)
    (out,) = apply_paired([img], spec, random.Random(0))
    arr, src = np.asarray(out), np.asarray(img)
    assert out.size == (16, 8)
    np.testing.assert_array_equal(arr[:7, :13], src)  # original pixels untouched, top-left
    np.testing.assert_array_equal(arr[7, :13], src[5])  # bottom row mirrors row H-2
    np.testing.assert_array_equal(arr[:7, 13], src[:, 11])  # right column mirrors column W-2


def test_eval_mode_is_deterministic_and_never_flips():
    img = _noise(40, 20)
    spec = TransformSpec(load_size=32, crop_size=16, flip=True)
    params = {sample_params(spec, img.size, random.Random(seed), train=False) for seed in range(20)}
    assert params == {TransformParams(resize=(16, 16), crop=None, flip=False)}


def test_flip_mirrors_the_image():
    img = _noise(8, 8)
    spec = TransformSpec(preprocess="none", flip=True)
    rng_seed = next(s for s in range(100) if random.Random(s).random() < 0.5)  # a seed that flips
    (out,) = apply_paired([img], spec, random.Random(rng_seed))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(img)[:, ::-1])


def test_spec_validation_and_size_mismatch_errors():
    with pytest.raises(I2IError, match="unknown preprocess"):
        TransformSpec(preprocess="stretch")  # type: ignore[arg-type]
    with pytest.raises(I2IError, match=r"crop_size \(256\) is larger than load_size \(100\)"):
        TransformSpec(load_size=100, crop_size=256)
    with pytest.raises(I2IError, match="pad_multiple"):
        TransformSpec(pad_multiple=0)
    with pytest.raises(I2IError, match="differ in size"):
        apply_paired([_noise(20, 20), _noise(21, 20)], TransformSpec(preprocess="none"), random.Random(0))
    with pytest.raises(I2IError, match="smaller than crop_size"):
        apply_paired([_noise(10, 10)], TransformSpec(preprocess="crop", crop_size=16), random.Random(0))
    # resize_and_crop brings differently sized images to one size, so they may differ
    a, b = apply_paired(
        [_noise(20, 20), _noise(30, 10)], TransformSpec(load_size=20, crop_size=16), random.Random(0)
    )
    assert a.size == b.size == (16, 16)
