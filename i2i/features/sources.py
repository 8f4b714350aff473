"""Every pretrained backbone the resolver knows, by name (for `i2i models fetch-backbones`)."""

from __future__ import annotations

from i2i.features.resolver import WeightSource


def backbone_sources() -> dict[str, WeightSource]:
    """Name -> :class:`~i2i.features.resolver.WeightSource`: vgg16, vgg19, inception_v3."""
    from i2i.features.inception import INCEPTION_SOURCE
    from i2i.features.vgg import SOURCES

    return {**SOURCES, INCEPTION_SOURCE.name: INCEPTION_SOURCE}
