"""DiffAugment (i2i.train.diffaugment): each transform is what the paper says, per image, differentiable."""

from __future__ import annotations

import pytest
import torch

from i2i.errors import I2IError
from i2i.train.diffaugment import color, cutout, diff_augment, translation
from i2i.train.recipe_configs import parse_diffaug as parse_policy


def _shifted(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """image (C, H, W) moved down dy and right dx, zeros coming in."""
    out = torch.zeros_like(image)
    h, w = image.shape[1:]
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        :, max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return out


def test_translation_shifts_each_image_by_at_most_an_eighth_with_zero_fill():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 16, 24) + 0.5  # no zeros of its own
    y = translation(x)
    shifts = set()
    for image, moved in zip(x, y, strict=True):
        candidates = [(dy, dx) for dy in range(-2, 3) for dx in range(-3, 4)]
        matches = [(dy, dx) for dy, dx in candidates if torch.equal(moved, _shifted(image, dy, dx))]
        assert len(matches) == 1
        shifts.add(matches[0])
    assert len(shifts) > 10  # drawn per image, not once per batch


def test_cutout_zeroes_one_half_size_rectangle_per_image_and_keeps_the_rest():
    torch.manual_seed(1)
    x = torch.rand(64, 3, 16, 16) + 0.5
    y = cutout(x)
    zero = y == 0
    assert torch.equal(zero[:, :1].expand_as(zero), zero)  # the same pixels in every channel
    assert torch.equal(y[~zero], x[~zero])
    areas = set()
    for mask in zero[:, 0]:
        rows, cols = mask.any(dim=1).nonzero().flatten(), mask.any(dim=0).nonzero().flatten()
        assert 0 < len(rows) <= 8 and 0 < len(cols) <= 8
        assert mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all()  # one solid rectangle
        assert mask.sum() == len(rows) * len(cols)
        areas.add(int(mask.sum()))
    assert 64 in areas and len(areas) > 1  # whole squares inside, clipped ones at the borders


def test_color_moves_a_flat_image_by_a_brightness_offset_in_the_papers_range():
    torch.manual_seed(2)
    flat = torch.full((256, 3, 4, 4), 0.2)
    offset = color(flat) - flat  # saturation and contrast scale deviations from the mean: none here
    assert torch.allclose(offset, offset[:, :1, :1, :1].expand_as(offset), atol=1e-6)
    assert offset.min() >= -0.5 and offset.max() <= 0.5 and offset.std() > 0.2


def test_the_policy_is_parsed_checked_and_applied_with_gradients():
    assert parse_policy("") == ()
    assert parse_policy(" translation, cutout ") == ("translation", "cutout")
    with pytest.raises(I2IError, match="unknown transform 'rotate'"):
        parse_policy("color,rotate")
    x = torch.rand(4, 3, 8, 8, requires_grad=True)
    assert diff_augment(x, ()) is x
    y = diff_augment(x, ("color", "translation", "cutout"))
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
