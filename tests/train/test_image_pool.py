"""The image pool: capacity, the 50% swap policy, detached outputs, resumable state."""

from __future__ import annotations

import pytest
import torch

from i2i.train.image_pool import ImagePool


def _img(value: float) -> torch.Tensor:
    return torch.full((1, 3, 2, 2), value)


def test_fills_up_to_capacity_and_returns_the_new_images_meanwhile():
    pool = ImagePool(3)
    for v in range(3):
        out = pool.query(_img(v))
        assert torch.equal(out, _img(v))
    assert len(pool.images) == 3
    pool.query(_img(10))
    assert len(pool.images) == 3


def test_swaps_about_half_the_time_once_full():
    pool = ImagePool(50, generator=torch.Generator().manual_seed(0))
    for v in range(50):
        pool.query(_img(v))
    swapped = 0
    n = 2000
    for i in range(n):
        value = 1000.0 + i
        out = pool.query(_img(value))
        if out[0, 0, 0, 0].item() != value:
            swapped += 1
            assert any(t[0, 0, 0, 0].item() == value for t in pool.images)  # the new one was stored
    assert abs(swapped / n - 0.5) < 0.05
    assert len(pool.images) == 50


def test_batches_keep_their_shape():
    pool = ImagePool(4)
    out = pool.query(torch.randn(6, 3, 5, 7))
    assert out.shape == (6, 3, 5, 7)
    assert len(pool.images) == 4


def test_outputs_are_detached():
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    y = x * 2
    for capacity in (0, 1, 10):
        out = ImagePool(capacity).query(y)
        assert not out.requires_grad and out.grad_fn is None


def test_zero_capacity_passes_through_and_negative_is_refused():
    x = torch.randn(1, 3, 4, 4)
    assert torch.equal(ImagePool(0).query(x), x)
    with pytest.raises(ValueError):
        ImagePool(-1)


def test_stored_images_do_not_alias_the_callers_tensor():
    pool = ImagePool(2)
    x = _img(1.0)
    pool.query(x)
    x.fill_(5.0)
    assert pool.images[0][0, 0, 0, 0].item() == 1.0


def test_state_round_trip_replays_the_same_choices():
    def run(pool: ImagePool, start: int) -> list[float]:
        return [pool.query(_img(v))[0, 0, 0, 0].item() for v in range(start, start + 20)]

    a = ImagePool(5, generator=torch.Generator().manual_seed(3))
    run(a, 0)
    state, rng = a.state_dict(), a.generator.get_state()
    expected = run(a, 100)
    b = ImagePool(5, generator=torch.Generator())
    b.load_state_dict(state)
    b.generator.set_state(rng)
    assert run(b, 100) == expected
