"""The PatchNCE head of CUT and FastCUT (Park, Efros, Zhang and Zhu 2020, "Contrastive Learning for Unpaired
Image-to-Image Translation"): patch sampling, a 2-layer MLP per layer, l2 normalisation; plus the
flip-equivariance helpers of FastCUT.

For each encoder layer ``l`` of the generator (CUT: 0, 4, 8, 12, 16, see :mod:`i2i.nn.resnet`), the head
picks ``P`` random spatial locations (256 by default, without replacement, the same ones for every image in
the batch), takes the C_l-vector of the feature map there, maps it through ``Linear(C_l, 256), ReLU,
Linear(256, 256)`` and divides by its l2 norm. The key (input-image) features are sampled first; the query
(output-image) features reuse exactly those locations, so query i and key i describe the same place and the
loss (:mod:`i2i.losses.patchnce`) puts positives on the diagonal::

    feats_k = G.encode(x, NCE_LAYERS)                  # input x
    feats_q = G.encode(G(x), NCE_LAYERS)               # output
    q, k = head.sample_pair(feats_q, feats_k, 256)     # lists of (B, 256, 256) l2-normalised
    nce = multilayer_patch_nce_loss(q, k, 0.07)

The MLPs are created on the first call, from the channel counts it sees (the authors' data-dependent
initialisation), on the features' device and dtype. Create the optimizer (and any DDP wrapper, EMA copy or
checkpoint load) after that, or build the head eagerly with ``in_channels`` (e.g. from
``ResnetGenerator.feature_channels(NCE_LAYERS)``), which gives the same modules without a batch.

FastCUT's flip-equivariance: :func:`random_hflip` flips the input batch with probability 0.5; the output's
features are then flipped back with :func:`unflip_features` before sampling, so they line up with the
unflipped input's features and the loss asks for G(flip(x)) = flip(G(x)) patch by patch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from i2i.nn.layers import init_weights

#: The CUT authors' PatchNCE layers of the ResNet generator (their layer numbering, see i2i.nn.resnet).
CUT_NCE_LAYERS: tuple[int, ...] = (0, 4, 8, 12, 16)
#: Locations sampled per layer and the MLP width, as published.
NUM_PATCHES = 256
MLP_CHANNELS = 256
#: Added to the l2 norm before dividing (the authors' value).
NORM_EPS = 1e-7


def l2_normalize(x: Tensor) -> Tensor:
    """``x / (||x||_2 + 1e-7)`` along the last dimension; (..., C) -> (..., C)."""
    return x / (x.norm(p=2, dim=-1, keepdim=True) + NORM_EPS)


def sample_locations(
    height: int, width: int, num: int | None, generator: torch.Generator | None = None
) -> Tensor:
    """``min(num, H*W)`` distinct flat indices into an H x W map, uniformly at random (CPU int64).

    ``num=None`` gives every location in raster order. Draws from ``generator`` (a CPU generator), or from
    torch's global CPU generator when None, so the same seed samples the same places on any device.
    """
    total = height * width
    if num is None:
        return torch.arange(total)
    if num < 1:
        raise ValueError(f"number of patches must be >= 1 (or None for all), got {num}")
    return torch.randperm(total, generator=generator)[: min(num, total)]


class PatchSampleMLP(nn.Module):
    """Sample feature vectors at random locations, embed them with a 2-layer MLP per layer, l2-normalise.

    ``channels``: MLP width and output size (256). ``use_mlp=False`` skips the MLP (the authors' ``sample``
    head; the output then has C_l channels). ``in_channels``: channel count per layer to build the MLPs now;
    None builds them on the first call. ``init``/``init_gain``: weight init of the MLPs (the CUT default is
    xavier with gain 0.02, biases 0).
    """

    def __init__(
        self,
        channels: int = MLP_CHANNELS,
        use_mlp: bool = True,
        in_channels: Sequence[int] | None = None,
        init: str = "xavier",
        init_gain: float = 0.02,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.use_mlp = use_mlp
        self.init, self.init_gain = init, init_gain
        self.mlps = nn.ModuleList()
        self.in_channels: tuple[int, ...] | None = None
        if in_channels is not None:
            self.build(in_channels)

    @property
    def built(self) -> bool:
        """Whether the MLPs exist (always True without an MLP)."""
        return not self.use_mlp or self.in_channels is not None

    def build(
        self,
        in_channels: Sequence[int],
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        """Create one ``Linear(C_l, channels), ReLU, Linear(channels, channels)`` per layer and initialise it.

        Raises RuntimeError when already built (a second build would silently drop trained weights).
        """
        if self.in_channels is not None:
            raise RuntimeError("PatchSampleMLP is already built")
        self.in_channels = tuple(int(c) for c in in_channels)
        if not self.use_mlp:
            return
        for c in self.in_channels:
            mlp = nn.Sequential(
                nn.Linear(c, self.channels), nn.ReLU(), nn.Linear(self.channels, self.channels)
            )
            init_weights(mlp, self.init, self.init_gain)
            self.mlps.append(mlp.to(device=device, dtype=dtype))

    def forward(
        self,
        feats: Sequence[Tensor],
        num_patches: int | None = NUM_PATCHES,
        patch_ids: Sequence[Tensor] | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[list[Tensor], list[Tensor]]:
        """Embed ``feats`` at sampled (or given) locations.

        Args:
            feats: per layer a (B, C_l, H_l, W_l) feature map (e.g. ``ResnetGenerator.encode``).
            num_patches: locations per layer (``min(num_patches, H_l*W_l)``); None: all of them.
            patch_ids: per layer the flat location indices to use instead of sampling (the ids returned by
                an earlier call: that is how query and key share locations).
            generator: CPU generator for the sampling (None: torch's global CPU generator).

        Returns:
            (embedded, ids): per layer a (B, P_l, channels) tensor (C_l channels without an MLP) whose rows
            are divided by their l2 norm + 1e-7 (unit length unless tiny: freshly initialised MLPs give
            norms ~1e-4, so rows start ~1e-3 short of 1, as in the authors' code), and the (P_l,) int64
            location indices used (row-major ``h * W_l + w``).
        """
        if patch_ids is not None and len(patch_ids) != len(feats):
            raise ValueError(f"{len(patch_ids)} patch id sets for {len(feats)} feature layers")
        if not self.built:
            self.build([f.shape[1] for f in feats], device=feats[0].device, dtype=feats[0].dtype)
        if self.use_mlp and len(feats) != len(self.mlps):
            raise ValueError(f"head was built for {len(self.mlps)} layers, got {len(feats)}")
        embedded, ids = [], []
        for index, feat in enumerate(feats):
            b, c, h, w = feat.shape
            if patch_ids is None:
                idx = sample_locations(h, w, num_patches, generator).to(feat.device)
            else:
                idx = patch_ids[index].to(feat.device)
            picked = feat.permute(0, 2, 3, 1).reshape(b, h * w, c)[:, idx, :]  # (B, P, C_l)
            if self.use_mlp:
                picked = self.mlps[index](picked)
            embedded.append(l2_normalize(picked))
            ids.append(idx)
        return embedded, ids

    def sample_pair(
        self,
        query_feats: Sequence[Tensor],
        key_feats: Sequence[Tensor],
        num_patches: int | None = NUM_PATCHES,
        generator: torch.Generator | None = None,
    ) -> tuple[list[Tensor], list[Tensor]]:
        """(queries, keys) embedded at the same locations: sampled on the keys, reused for the queries.

        ``query_feats[l]`` and ``key_feats[l]`` must have the same spatial size. Returns two lists of
        (B, P_l, channels) tensors for :func:`i2i.losses.patchnce.multilayer_patch_nce_loss`.
        """
        for q, k in zip(query_feats, key_feats, strict=True):
            if q.shape[2:] != k.shape[2:]:
                raise ValueError(f"query and key maps differ in size: {tuple(q.shape)} vs {tuple(k.shape)}")
        keys, ids = self(key_feats, num_patches, generator=generator)
        queries, _ = self(query_feats, num_patches, patch_ids=ids)
        return queries, keys


def random_hflip(x: Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> tuple[Tensor, bool]:
    """Flip the whole batch (N, C, H, W) left-right with probability ``p``; returns (maybe flipped, flipped).

    One coin per batch, as the CUT authors do. Draws one number from ``generator`` (CPU) or torch's global
    CPU generator, whatever the outcome.
    """
    flipped = bool(torch.rand((), generator=generator).item() < p)
    return (torch.flip(x, dims=[3]) if flipped else x), flipped


def unflip_features(feats: Sequence[Tensor], flipped: bool) -> list[Tensor]:
    """Undo :func:`random_hflip` on feature maps (N, C, H, W): flip each back left-right if ``flipped``."""
    return [torch.flip(f, dims=[3]) for f in feats] if flipped else list(feats)
