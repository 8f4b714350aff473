"""Networks: generators and discriminators built by name through explicit registries.

Builders return CPU modules initialised as the pix2pix/CycleGAN papers prescribe (conv weights N(0, 0.02),
biases 0, BatchNorm scale N(1, 0.02)); device placement is the caller's.
"""

from __future__ import annotations

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


@GENERATORS.register("resnet")
def resnet(n_blocks: int = 9, norm: str = "instance", **kwargs: Any) -> ResnetGenerator:
    return ResnetGenerator(n_blocks=n_blocks, norm=norm, **kwargs)


@GENERATORS.register("resnet_6blocks")
def resnet_6blocks(norm: str = "instance", **kwargs: Any) -> ResnetGenerator:
    return ResnetGenerator(n_blocks=6, norm=norm, **kwargs)


@GENERATORS.register("resnet_9blocks")
def resnet_9blocks(norm: str = "instance", **kwargs: Any) -> ResnetGenerator:
    return ResnetGenerator(n_blocks=9, norm=norm, **kwargs)


@GENERATORS.register("unet")
def unet(num_downs: int = 8, norm: str = "batch", **kwargs: Any) -> UnetGenerator:
    return UnetGenerator(num_downs=num_downs, norm=norm, **kwargs)


@GENERATORS.register("unet_128")
def unet_128(norm: str = "batch", **kwargs: Any) -> UnetGenerator:
    return UnetGenerator(num_downs=7, norm=norm, **kwargs)


@GENERATORS.register("unet_256")
def unet_256(norm: str = "batch", **kwargs: Any) -> UnetGenerator:
    return UnetGenerator(num_downs=8, norm=norm, **kwargs)


@GENERATORS.register("johnson")
def johnson(**kwargs: Any) -> TransformerNet:
    return TransformerNet(**kwargs)


@DISCRIMINATORS.register("basic")
def basic(norm: str = "batch", **kwargs: Any) -> NLayerDiscriminator:
    return NLayerDiscriminator(n_layers=3, norm=norm, **kwargs)


@DISCRIMINATORS.register("n_layers")
def n_layers(n_layers: int = 3, norm: str = "batch", **kwargs: Any) -> NLayerDiscriminator:
    return NLayerDiscriminator(n_layers=n_layers, norm=norm, **kwargs)


@DISCRIMINATORS.register("pixel")
def pixel(norm: str = "batch", **kwargs: Any) -> PixelDiscriminator:
    return PixelDiscriminator(norm=norm, **kwargs)


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
