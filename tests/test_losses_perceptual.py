"""Gram, content, style and total-variation losses against values computed by hand."""

from __future__ import annotations

import pytest
import torch

from i2i.losses import content_loss, gram, style_loss, tv_loss


def test_gram_by_hand():
    # C=2, H=1, W=2: F = [[1, 2], [3, 4]]; F F^T = [[5, 11], [11, 25]]; / (2*1*2)
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4
    torch.testing.assert_close(gram(f), expected)
    assert gram(torch.rand(3, 5, 4, 6)).shape == (3, 5, 5)


def test_content_loss_by_hand():
    a = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    b = torch.tensor([[[[1.0, 0.0], [3.0, 7.0]]]])
    assert content_loss(a, b).item() == pytest.approx((0 + 4 + 0 + 9) / 4)


def test_style_loss_by_hand():
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # gram = [[1.25, 2.75], [2.75, 6.25]]
    target = torch.zeros(1, 2, 2)
    by_hand = (1.25**2 + 2 * 2.75**2 + 6.25**2) / 4
    loss = style_loss({"a": f, "b": f * 2}, {"a": target, "b": target}, {"a": 1.0, "b": 0.5})
    # layer b: gram scales by 4, squared error by 16
    assert loss.item() == pytest.approx(by_hand * (1.0 + 0.5 * 16))
    batch = torch.cat([f, f])
    assert style_loss({"a": batch}, {"a": target}, {"a": 1.0}).item() == pytest.approx(by_hand)


def test_tv_loss_by_hand():
    x = torch.tensor([[[[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]]])
    # vertical diffs: 2, 1, -1 -> mean sq 6/3 = 2; horizontal: 1, 2, 0, 0 -> 5/4
    assert tv_loss(x).item() == pytest.approx(2 + 1.25)
    assert tv_loss(torch.ones(1, 3, 8, 8)).item() == 0.0
