"""PatchNCE: the contrastive loss of CUT (Park, Efros, Zhang and Zhu 2020, "Contrastive Learning for Unpaired
Image-to-Image Translation", section 3.2; InfoNCE of van den Oord et al. 2018).

A patch of the output and the patch of the input at the same place should share content; other patches of
the same input should not. For one layer, with ``P`` locations sampled once and used for both sides,
``q_i`` the embedded output feature and ``k_j`` the embedded input feature at location ``j`` (both
l2-normalised), and temperature ``tau``::

    l(q_i) = -log( exp(q_i . k_i / tau) / sum_{j=1..P} exp(q_i . k_j / tau) )
    L_PatchNCE = mean over layers l, images b, locations i of l(q_i)

i.e. a (P)-way classification per query with the positive on the diagonal (1 positive, P-1 negatives).
Negatives come from the same image only (the authors found this best for CUT and FastCUT); with
``shared_negatives=True`` all patches of the batch are negatives (their single-image setting).

Keys are detached: the gradient reaches the generator through the query (the output's features) only, as in
the authors' code. Their code also keeps the diagonal of the negative block, masked to -10 before dividing by
the temperature, as one extra logit; ``exp(-10 / 0.07)`` is ~1e-62 of the smallest possible positive term,
so the two agree to float32 precision (tests/test_patchnce.py checks it).

Naming key (code vs paper): ``query`` = v (features of G(x)), ``key`` = v+ (at the same location in x) and
v- (other locations), ``temperature`` = tau (0.07).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

#: The paper's temperature.
NCE_TEMPERATURE = 0.07


def patch_nce_loss(
    query: Tensor,
    key: Tensor,
    temperature: float = NCE_TEMPERATURE,
    *,
    shared_negatives: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """PatchNCE of one layer.

    Args:
        query: (B, P, C) embedded output patches, rows l2-normalised (``P`` sampled locations per image).
        key: (B, P, C) embedded input patches at the SAME locations, l2-normalised. Detached here.
        temperature: tau > 0; logits are cosine similarities in [-1, 1] divided by it.
        shared_negatives: False: negatives of a query are the other P-1 keys of its own image. True: all
            B*P-1 other keys of the batch.
        reduction: ``mean`` (a scalar, float32) or ``none`` ((B, P) per-query losses).

    Computed in float32 whatever the input dtype (logits up to 1/tau ~ 14 do not survive bf16 well).
    """
    if query.shape != key.shape or query.dim() != 3:
        shapes = f"{tuple(query.shape)} and {tuple(key.shape)}"
        raise ValueError(f"query and key must both be (B, P, C), got {shapes}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    b, p, c = query.shape
    q = query.float()
    k = key.detach().float()
    if shared_negatives:
        q, k = q.reshape(1, b * p, c), k.reshape(1, b * p, c)
    logits = torch.bmm(q, k.transpose(1, 2)) / temperature  # (B', P', P'): query i against every key j
    groups, n = logits.shape[0], logits.shape[1]
    target = torch.arange(n, device=logits.device).repeat(groups)
    loss = F.cross_entropy(logits.reshape(groups * n, n), target, reduction="none").reshape(b, p)
    return loss.mean() if reduction == "mean" else loss


def multilayer_patch_nce_loss(
    queries: Sequence[Tensor],
    keys: Sequence[Tensor],
    temperature: float = NCE_TEMPERATURE,
    *,
    shared_negatives: bool = False,
) -> Tensor:
    """Mean over layers of :func:`patch_nce_loss` (each already a mean over images and locations).

    ``queries[l]`` and ``keys[l]`` are (B, P_l, C) as returned by :class:`i2i.nn.patchnce.PatchSampleMLP`
    for the same sampled locations. Returns a float32 scalar (the authors' ``calculate_NCE_loss`` before
    the lambda_NCE factor).
    """
    if len(queries) != len(keys) or not queries:
        counts = f"{len(queries)} and {len(keys)}"
        raise ValueError(f"need the same non-zero number of query and key layers, got {counts}")
    total = sum(
        patch_nce_loss(q, k, temperature, shared_negatives=shared_negatives)
        for q, k in zip(queries, keys, strict=True)
    )
    return total / len(queries)
