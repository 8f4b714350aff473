"""Networks: generators and discriminators built by name through explicit registries.

Builders return CPU modules initialised as the pix2pix/CycleGAN papers prescribe (conv weights N(0, 0.02),
biases 0, BatchNorm scale N(1, 0.02)); device placement is the caller's. Each name builds its network class
with the class's own defaults (ResNet: 9 blocks and instance norm; U-Net: 8 downs and batch norm; PatchGAN:
3 layers and batch norm), or with a size it fixes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from i2i.nn.layers import init_weights
from i2i.nn.patchgan import NLayerDiscriminator, PixelDiscriminator
from i2i.nn.patchnce import PatchSampleMLP
from i2i.nn.registry import Registry
from i2i.nn.resnet import ResnetGenerator
from i2i.nn.transformer import TransformerNet
from i2i.nn.unet import UnetGenerator

GENERATORS: Registry[nn.Module] = Registry("generator")
DISCRIMINATORS: Registry[nn.Module] = Registry("discriminator")


def _fixing(network: Callable[..., nn.Module], **fixed: Any) -> Callable[..., nn.Module]:
    """A builder of ``network`` with the ``fixed`` keyword arguments (which a caller may not pass again)."""

    def build(**kwargs: Any) -> nn.Module:
        return network(**fixed, **kwargs)

    return build


#: The registered architectures: a network class, or one of its fixed sizes (the reference code's names).
_ARCHITECTURES: tuple[tuple[Registry[nn.Module], str, Callable[..., nn.Module]], ...] = (
    (GENERATORS, "resnet", ResnetGenerator),
    (GENERATORS, "resnet_6blocks", _fixing(ResnetGenerator, n_blocks=6)),
    (GENERATORS, "resnet_9blocks", _fixing(ResnetGenerator, n_blocks=9)),
    (GENERATORS, "unet", UnetGenerator),
    (GENERATORS, "unet_128", _fixing(UnetGenerator, num_downs=7)),
    (GENERATORS, "unet_256", _fixing(UnetGenerator, num_downs=8)),
    (GENERATORS, "johnson", TransformerNet),
    (DISCRIMINATORS, "basic", _fixing(NLayerDiscriminator, n_layers=3)),
    (DISCRIMINATORS, "n_layers", NLayerDiscriminator),
    (DISCRIMINATORS, "pixel", PixelDiscriminator),
)
for _registry, _name, _builder in _ARCHITECTURES:
    _registry.register(_name)(_builder)


def _build(
    registry: Registry[nn.Module], name: str, init: str, init_gain: float, kwargs: dict[str, Any]
) -> nn.Module:
    try:
        module = registry.build(name, **kwargs)
    except TypeError as err:  # unknown keyword for this architecture
        from i2i.errors import I2IError

        raise I2IError(f"bad arguments for {registry.kind} {name!r}: {err}") from None
    return init_weights(module, init, init_gain)


def build_generator(name: str, *, init: str = "normal", init_gain: float = 0.02, **kwargs: Any) -> nn.Module:
    """Build a registered generator (CPU, initialised). ``kwargs`` go to its builder (ngf, norm, ...)."""
    return _build(GENERATORS, name, init, init_gain, kwargs)


def build_discriminator(
    name: str, *, init: str = "normal", init_gain: float = 0.02, **kwargs: Any
) -> nn.Module:
    """Build a registered discriminator (CPU, initialised). ``kwargs``: in_channels, ndf, norm, ..."""
    return _build(DISCRIMINATORS, name, init, init_gain, kwargs)


def size_multiple(module: nn.Module) -> int:
    """Input sides must be multiples of this for ``module`` (1 when it does not say)."""
    return int(getattr(module, "size_multiple", 1))


__all__ = [
    "DISCRIMINATORS",
    "GENERATORS",
    "NLayerDiscriminator",
    "PatchSampleMLP",
    "PixelDiscriminator",
    "ResnetGenerator",
    "UnetGenerator",
    "build_discriminator",
    "build_generator",
    "size_multiple",
]
