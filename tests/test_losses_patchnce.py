"""PatchNCE: the loss against hand-computed values and the authors' formulation, the patch sampler + MLP head
(shared locations, lazy creation, normalisation) and FastCUT's flip-equivariance helpers."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from i2i.losses.patchnce import NCE_TEMPERATURE, multilayer_patch_nce_loss, patch_nce_loss
from i2i.nn import build_generator
from i2i.nn.layers import count_parameters
from i2i.nn.patchnce import (
    CUT_NCE_LAYERS,
    PatchSampleMLP,
    random_hflip,
    sample_locations,
    unflip_features,
)
from i2i.nn.resnet import CUT_GENERATOR

# One image, three patches, two channels; every row has unit length.
Q = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
K = [[0.8, 0.6], [0.0, 1.0], [1.0, 0.0]]
# Dot products q_i . k_j, worked out by hand.
S = [[0.8, 0.0, 1.0], [0.6, 1.0, 0.0], [0.96, 0.8, 0.6]]


def _hand_loss(i: int, t: float) -> float:
    """-log(exp(s_ii / t) / sum_j exp(s_ij / t)) for query i."""
    return -S[i][i] / t + math.log(sum(math.exp(s / t) for s in S[i]))


def test_hand_computed_case_positives_on_the_diagonal():
    q, k = torch.tensor([Q]), torch.tensor([K])
    torch.testing.assert_close(torch.bmm(q, k.transpose(1, 2))[0], torch.tensor(S))
    per_query = patch_nce_loss(q, k, 0.07, reduction="none")
    assert per_query.shape == (1, 3) and per_query.dtype == torch.float32
    expected = [_hand_loss(i, 0.07) for i in range(3)]
    torch.testing.assert_close(per_query[0], torch.tensor(expected), atol=1e-5, rtol=1e-5)
    # The same numbers, rounded: log(1 + e^(-0.8/.07) + e^(0.2/.07)),
    # log(1 + e^(-0.4/.07) + e^(-1/.07)), log(1 + e^(0.2/.07) + e^(0.36/.07)).
    torch.testing.assert_close(per_query[0], torch.tensor([2.91299, 0.00329, 5.24500]), atol=2e-5, rtol=0)
    torch.testing.assert_close(patch_nce_loss(q, k, 0.07), per_query.mean())


def test_temperature_scales_the_logits():
    q, k = torch.tensor([Q]), torch.tensor([K])
    at_one = patch_nce_loss(q, k, 1.0, reduction="none")[0]
    torch.testing.assert_close(
        at_one, torch.tensor([_hand_loss(i, 1.0) for i in range(3)]), atol=1e-6, rtol=0
    )
    assert NCE_TEMPERATURE == 0.07
    torch.testing.assert_close(patch_nce_loss(q, k), patch_nce_loss(q, k, 0.07))
    assert not torch.allclose(at_one, patch_nce_loss(q, k, 0.07, reduction="none")[0])


def test_the_positive_is_the_key_at_the_same_index():
    q, k = torch.tensor([Q]), torch.tensor([K])
    # Reordering the keys moves the positive: query 0's loss becomes that of key 2 as positive.
    shuffled = k[:, [2, 1, 0]]
    got = patch_nce_loss(q, shuffled, 0.07, reduction="none")[0, 0]
    expected = -S[0][2] / 0.07 + math.log(sum(math.exp(s / 0.07) for s in S[0]))
    assert abs(got.item() - expected) < 1e-5
    # Identical one-hot queries and keys: log(1 + (P - 1) exp(-1 / t)) for every query.
    eye = torch.eye(4)[None]
    torch.testing.assert_close(
        patch_nce_loss(eye, eye, 0.5, reduction="none"), torch.full((1, 4), math.log(1 + 3 * math.exp(-2.0)))
    )


def _authors_patch_nce(feat_q: torch.Tensor, feat_k: torch.Tensor, batch: int, t: float) -> torch.Tensor:
    """The CUT code's formulation: a positive column, then the same-image negatives with the diagonal set
    to -10, all divided by t; cross-entropy with target 0. feat_q, feat_k: (batch * P, C)."""
    n, dim = feat_q.shape
    l_pos = (feat_q * feat_k).sum(dim=1, keepdim=True)
    qb, kb = feat_q.view(batch, -1, dim), feat_k.view(batch, -1, dim)
    p = qb.shape[1]
    l_neg = torch.bmm(qb, kb.transpose(2, 1))
    l_neg = l_neg.masked_fill(torch.eye(p, dtype=torch.bool)[None], -10.0).view(-1, p)
    logits = torch.cat([l_pos, l_neg], dim=1) / t
    return F.cross_entropy(logits, torch.zeros(n, dtype=torch.long), reduction="none")


def test_agrees_with_the_authors_formulation():
    torch.manual_seed(0)
    b, p, c = 2, 64, 16
    q = F.normalize(torch.randn(b, p, c), dim=-1)
    k = F.normalize(q + 0.3 * torch.randn(b, p, c), dim=-1)
    ours = patch_nce_loss(q, k, 0.07, reduction="none")
    theirs = _authors_patch_nce(q.reshape(b * p, c), k.reshape(b * p, c), b, 0.07).view(b, p)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    shared = patch_nce_loss(q, k, 0.07, shared_negatives=True, reduction="none")
    theirs_shared = _authors_patch_nce(q.reshape(b * p, c), k.reshape(b * p, c), 1, 0.07).view(b, p)
    torch.testing.assert_close(shared, theirs_shared, atol=1e-5, rtol=1e-5)


def test_negatives_come_from_the_same_image_only():
    torch.manual_seed(1)
    q = F.normalize(torch.randn(2, 8, 4), dim=-1)
    k = F.normalize(torch.randn(2, 8, 4), dim=-1)
    other = k.clone()
    other[1] = F.normalize(torch.randn(8, 4), dim=-1)  # change image 1's keys only
    base = patch_nce_loss(q, k, reduction="none")
    changed = patch_nce_loss(q, other, reduction="none")
    torch.testing.assert_close(changed[0], base[0], atol=0, rtol=0)
    assert not torch.allclose(changed[1], base[1])
    # With negatives shared across the batch, image 0's losses do depend on image 1's keys.
    shared = patch_nce_loss(q, k, shared_negatives=True, reduction="none")
    shared_changed = patch_nce_loss(q, other, shared_negatives=True, reduction="none")
    assert not torch.allclose(shared[0], shared_changed[0])


def test_gradient_flows_through_the_query_only():
    torch.manual_seed(2)
    q = torch.randn(1, 8, 4, requires_grad=True)
    k = torch.randn(1, 8, 4, requires_grad=True)
    patch_nce_loss(F.normalize(q, dim=-1), F.normalize(k, dim=-1)).backward()
    assert q.grad is not None and q.grad.abs().sum() > 0
    assert k.grad is None


def test_multilayer_is_the_mean_of_layers_and_bad_input_is_refused():
    torch.manual_seed(3)
    qs = [F.normalize(torch.randn(2, p, 8), dim=-1) for p in (4, 16)]
    ks = [F.normalize(torch.randn(2, p, 8), dim=-1) for p in (4, 16)]
    expected = (patch_nce_loss(qs[0], ks[0]) + patch_nce_loss(qs[1], ks[1])) / 2
    torch.testing.assert_close(multilayer_patch_nce_loss(qs, ks), expected)
    with pytest.raises(ValueError, match="same non-zero number"):
        multilayer_patch_nce_loss(qs, ks[:1])
    with pytest.raises(ValueError, match=r"\(B, P, C\)"):
        patch_nce_loss(qs[0], ks[1])
    with pytest.raises(ValueError, match="temperature"):
        patch_nce_loss(qs[0], ks[0], 0.0)


def test_bf16_inputs_are_scored_in_float32():
    torch.manual_seed(4)
    q = F.normalize(torch.randn(1, 32, 8), dim=-1)
    k = F.normalize(torch.randn(1, 32, 8), dim=-1)
    got = patch_nce_loss(q.bfloat16(), k.bfloat16())
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, patch_nce_loss(q.bfloat16().float(), k.bfloat16().float()))


# ---- sampler + MLP head -----------------------------------------------------------------------------


def _location_code(b: int, h: int, w: int) -> torch.Tensor:
    """(b, h*w, h, w): channel j is 1 exactly at flat location j (a one-hot code of the place)."""
    return torch.eye(h * w).reshape(h * w, h, w)[None].repeat(b, 1, 1, 1)


def test_query_and_key_share_the_sampled_locations():
    head = PatchSampleMLP(use_mlp=False)
    feats = [_location_code(2, 4, 6), _location_code(2, 3, 3)]
    gen = torch.Generator().manual_seed(0)
    keys, ids = head(feats, 5, generator=gen)
    assert [tuple(k.shape) for k in keys] == [(2, 5, 24), (2, 5, 9)]
    for k, idx in zip(keys, ids, strict=True):
        assert len(set(idx.tolist())) == len(idx)
        assert torch.equal(k.argmax(dim=-1), idx.expand(2, -1))  # row i describes location ids[i]
    queries, again = head(feats, 5, patch_ids=ids)
    assert all(torch.equal(a, b) for a, b in zip(again, ids, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(queries, keys, strict=True))
    # sample_pair: keys sampled, queries at the same places, so identical maps give identical embeddings
    # and a PatchNCE of log(1 + (P - 1) exp(-1 / t)) (one-hot rows: positives 1, negatives 0).
    q, k = head.sample_pair(feats, feats, 5, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(a, b) for a, b in zip(q, k, strict=True))
    expected = math.log(1 + 4 * math.exp(-1 / 0.07))
    assert abs(multilayer_patch_nce_loss(q, k).item() - expected) < 1e-6


def test_sample_pair_with_the_mlp_uses_the_same_places():
    torch.manual_seed(5)
    feats = [torch.randn(2, 3, 8, 8), torch.randn(2, 5, 4, 4)]
    head = PatchSampleMLP(channels=16)
    q, k = head.sample_pair(feats, [f.clone() for f in feats], 10)
    assert all(torch.equal(a, b) for a, b in zip(q, k, strict=True))
    flipped = [torch.flip(f, dims=[3]) for f in feats]
    q2, k2 = head.sample_pair(flipped, feats, 10)
    assert not torch.allclose(q2[0], k2[0])
    with pytest.raises(ValueError, match="differ in size"):
        head.sample_pair([feats[0][:, :, :4]], [feats[0]], 10)


def test_sampling_counts_seed_and_all_locations():
    a = sample_locations(5, 7, 256, torch.Generator().manual_seed(3))
    assert sorted(a.tolist()) == list(range(35))  # fewer places than asked: all of them, shuffled
    b = sample_locations(16, 16, 20, torch.Generator().manual_seed(3))
    c = sample_locations(16, 16, 20, torch.Generator().manual_seed(3))
    assert torch.equal(b, c) and len(set(b.tolist())) == 20 and b.dtype == torch.int64
    assert torch.equal(sample_locations(2, 3, None), torch.arange(6))
    with pytest.raises(ValueError):
        sample_locations(4, 4, 0)


def test_head_is_created_lazily_with_the_published_shape():
    g = build_generator("resnet_9blocks", **CUT_GENERATOR)
    head = PatchSampleMLP()
    assert not head.built and count_parameters(head) == 0
    torch.manual_seed(6)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        feats = g.encode(x, CUT_NCE_LAYERS)
    out, ids = head(feats)
    assert head.built and head.in_channels == (3, 128, 256, 256, 256)
    # Per layer Linear(C, 256) + ReLU + Linear(256, 256): sum of (256 C + 256) + 65,792.
    assert count_parameters(head) == 560_384
    # 256 places per layer where the map has that many (layer 12/16 maps are 8x8 = 64 places at 32x32).
    assert [tuple(o.shape) for o in out] == [(1, 256, 256)] * 3 + [(1, 64, 256)] * 2
    # Rows are e / (||e|| + 1e-7) of the MLP embedding e: unit length up to the 1e-7 (the initial
    # embeddings are small, ~1e-4, so that shows at the 1e-3 level, as in the authors' code).
    b, c, h, w = feats[1].shape
    e = head.mlps[1](feats[1].permute(0, 2, 3, 1).reshape(b, h * w, c)[:, ids[1]])
    torch.testing.assert_close(out[1], e / (e.norm(dim=-1, keepdim=True) + 1e-7))
    assert all(((o.norm(dim=-1) > 0.99) & (o.norm(dim=-1) <= 1)).all() for o in out)
    first = head.mlps[1][0]
    assert (first.in_features, first.out_features) == (128, 256) and first.bias.abs().max() == 0
    # xavier-normal with gain 0.02 (the CUT default): std = 0.02 * sqrt(2 / (fan_in + fan_out)).
    assert abs(head.mlps[2][2].weight.std().item() - 0.02 * math.sqrt(2 / 512)) < 5e-5
    eager = PatchSampleMLP(in_channels=g.feature_channels(CUT_NCE_LAYERS))
    assert eager.built and {k: v.shape for k, v in eager.state_dict().items()} == {
        k: v.shape for k, v in head.state_dict().items()
    }
    with pytest.raises(RuntimeError, match="already built"):
        eager.build([3])
    with pytest.raises(ValueError, match="built for 5 layers"):
        eager(feats[:2])


def test_nce_step_sends_gradients_to_the_generator_and_the_head():
    torch.manual_seed(7)
    g = build_generator("resnet", n_blocks=4, ngf=4, **CUT_GENERATOR)
    head = PatchSampleMLP(channels=8)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    fake = g(x)
    q, k = head.sample_pair(g.encode(fake, CUT_NCE_LAYERS), g.encode(x, CUT_NCE_LAYERS), 32)
    loss = multilayer_patch_nce_loss(q, k)
    assert torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    assert g.up[1].weight.grad.abs().sum() > 0  # through G(x) in the query path
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())


# ---- flip-equivariance ------------------------------------------------------------------------------


def test_random_hflip_flips_the_whole_batch_on_a_coin():
    x = torch.arange(2 * 1 * 2 * 3, dtype=torch.float32).reshape(2, 1, 2, 3)
    gen = torch.Generator().manual_seed(0)
    outcomes = []
    for _ in range(200):
        y, flipped = random_hflip(x, 0.5, gen)
        assert torch.equal(y, torch.flip(x, dims=[3]) if flipped else x)
        outcomes.append(flipped)
    assert 70 < sum(outcomes) < 130
    assert not random_hflip(x, 0.0)[1] and random_hflip(x, 1.0)[1]
    assert torch.equal(random_hflip(x, 1.0)[0][0, 0, 0], torch.tensor([2.0, 1.0, 0.0]))


def test_unflip_lines_the_output_features_up_with_the_input():
    torch.manual_seed(8)
    g = build_generator("resnet", n_blocks=1, ngf=4, **CUT_GENERATOR).eval()
    with torch.no_grad():  # a left-right symmetric stem kernel makes layers 0-3 exactly flip-equivariant
        w = g.stem[1].weight
        w.copy_((w + w.flip(-1)) / 2)
    x = torch.rand(2, 3, 16, 24) * 2 - 1
    layers = [0, 1, 2, 3]
    flipped_x, flipped = random_hflip(x, 1.0)
    assert flipped
    with torch.no_grad():
        straight = g.encode(x, layers)
        from_flipped = g.encode(flipped_x, layers)
    back = unflip_features(from_flipped, flipped)
    for a, b in zip(back, straight, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert (from_flipped[1] - straight[1]).abs().max() > 0.1  # without flipping back they disagree
    assert unflip_features(from_flipped, False)[1] is from_flipped[1]
