"""Import state dicts saved in the layout of the widely used pix2pix/CycleGAN reference implementation.

This is the one place that knows that layout. The reference names parameters by position inside nested
``nn.Sequential`` containers (``model.10.conv_block.6.weight``, ``model.model.1.model.3...``), and older
files also carry InstanceNorm running statistics that current code neither has nor wants. i2i's modules
register their layers in the same order as the reference, so conversion pairs the two lists of layers in
order, checking every parameter name and shape, and fails loudly on any disagreement.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from i2i.errors import I2IError

_RUNNING_STATS = {"running_mean", "running_var", "num_batches_tracked"}


def _group_by_layer(state: Mapping[str, torch.Tensor]) -> list[tuple[str, dict[str, torch.Tensor]]]:
    """[(layer path, {leaf name: tensor})] in order of first appearance."""
    groups: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        layer, _, leaf = key.rpartition(".")
        groups.setdefault(layer, {})[leaf] = value
    return list(groups.items())


def _strip_prefix(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop a DataParallel ``module.`` prefix and any non-tensor entries."""
    out = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            continue
        out[key.removeprefix("module.")] = value
    return out


def convert_reference_state_dict(
    reference: Mapping[str, torch.Tensor], module: nn.Module
) -> dict[str, torch.Tensor]:
    """Map a reference-layout state dict onto ``module``'s own keys.

    Layers in ``reference`` that hold only running statistics (legacy InstanceNorm entries) are dropped.
    Raises I2IError naming the first layer whose parameter names or shapes disagree, or when the number of
    layers differs (wrong architecture, width or dropout setting).
    """
    ref_layers = [
        (path, leaves)
        for path, leaves in _group_by_layer(_strip_prefix(reference))
        if not set(leaves) <= _RUNNING_STATS
    ]
    own_layers = _group_by_layer(module.state_dict())
    if len(ref_layers) != len(own_layers):
        raise I2IError(
            f"reference state dict has {len(ref_layers)} layers with weights, the target architecture has "
            f"{len(own_layers)}: wrong architecture, width or norm?"
        )
    converted: dict[str, torch.Tensor] = {}
    for (ref_path, ref_leaves), (own_path, own_leaves) in zip(ref_layers, own_layers, strict=True):
        if set(ref_leaves) != set(own_leaves):
            raise I2IError(
                f"layer {ref_path!r} has {sorted(ref_leaves)}, expected {sorted(own_leaves)} for {own_path!r}"
            )
        for leaf, own in own_leaves.items():
            ref = ref_leaves[leaf]
            if ref.shape != own.shape:
                raise I2IError(
                    f"{ref_path}.{leaf} has shape {tuple(ref.shape)}, expected {tuple(own.shape)} "
                    f"for {own_path}.{leaf}"
                )
            converted[f"{own_path}.{leaf}" if own_path else leaf] = ref.to(own.dtype)
    return converted


def load_reference_state_dict(module: nn.Module, reference: Mapping[str, torch.Tensor]) -> nn.Module:
    """Load a reference-layout state dict into ``module`` (strictly) and return it."""
    module.load_state_dict(convert_reference_state_dict(reference, module), strict=True)
    return module
