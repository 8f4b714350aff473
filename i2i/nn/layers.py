"""Building blocks shared by the generators and discriminators: norms, conv bias rule, weight init."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

from i2i.errors import I2IError

NormName = Literal["batch", "instance", "layer", "none"]
InitName = Literal["normal", "xavier", "kaiming", "orthogonal"]
NORMS: tuple[str, ...] = ("batch", "instance", "layer", "none")
INITS: tuple[str, ...] = ("normal", "xavier", "kaiming", "orthogonal")


def norm_layer(norm: str) -> Callable[[int], nn.Module]:
    """Return a constructor ``channels -> module`` for the named normalisation.

    batch: BatchNorm2d with affine parameters and running statistics.
    instance: InstanceNorm2d without affine parameters or running statistics (the papers' choice).
    layer: GroupNorm with one group (each image normalised over channels and space together) and a
        per-channel scale/shift, as in MUNIT's decoder. A channel can no longer set its own statistics
        with one strong local spike, the instance-norm "droplet" that leaves dark blotches (StyleGAN2 §2).
    none: identity.
    """
    if norm == "batch":
        return lambda c: nn.BatchNorm2d(c, affine=True, track_running_stats=True)
    if norm == "instance":
        return lambda c: nn.InstanceNorm2d(c, affine=False, track_running_stats=False)
    if norm == "layer":
        return lambda c: nn.GroupNorm(1, c, affine=True)
    if norm == "none":
        return lambda c: nn.Identity()
    raise I2IError(f"unknown norm {norm!r}; valid: {', '.join(NORMS)}")


def conv_bias(norm: str) -> bool:
    """Whether a conv followed by ``norm`` needs its own bias.

    Batch norm's shift makes a conv bias redundant. Instance norm without affine parameters removes the
    bias again, but the reference implementation keeps it (and its parameter counts include it), so we do
    too. With no norm the bias is needed.
    """
    return norm != "batch"


def init_weights(module: nn.Module, init: str = "normal", gain: float = 0.02) -> nn.Module:
    """Initialise conv/linear weights in place and return ``module``.

    Conv and linear weights: N(0, gain) for ``normal``, else xavier/kaiming/orthogonal scaled by ``gain``
    (kaiming uses fan_in, a=0). Biases 0. BatchNorm: weight N(1, gain), bias 0.
    """
    if init not in INITS:
        raise I2IError(f"unknown init {init!r}; valid: {', '.join(INITS)}")

    def visit(m: nn.Module) -> None:
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            if init == "normal":
                nn.init.normal_(m.weight, 0.0, gain)
            elif init == "xavier":
                nn.init.xavier_normal_(m.weight, gain=gain)
            elif init == "kaiming":
                nn.init.kaiming_normal_(m.weight, a=0, mode="fan_in")
            else:
                nn.init.orthogonal_(m.weight, gain=gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)

    module.apply(visit)
    return module


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (trainable or not); buffers such as running statistics are not counted."""
    return sum(p.numel() for p in module.parameters())


def batchnorm_to_instancenorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d in ``module`` (in place) by InstanceNorm2d(affine=True) with its scale/shift.

    Pix2pix trains with batch norm at batch size 1 and the reference test script keeps it in train mode,
    i.e. normalises each image with its own statistics. Instance norm with the same affine parameters
    computes exactly that, in eval mode and in an exported graph. Returns ``module``.
    """
    for name, child in list(module.named_children()):
        if isinstance(child, nn.BatchNorm2d):
            inorm = nn.InstanceNorm2d(
                child.num_features, eps=child.eps, affine=True, track_running_stats=False
            )
            with torch.no_grad():
                inorm.weight.copy_(child.weight)
                inorm.bias.copy_(child.bias)
            inorm.to(device=child.weight.device, dtype=child.weight.dtype)
            setattr(module, name, inorm)
        else:
            batchnorm_to_instancenorm(child)
    return module


def check_pad(pad: int, step: int = 4) -> int:
    """``pad`` as an int; ValueError unless it is a non-negative multiple of ``step``."""
    if pad < 0 or pad % step:
        raise ValueError(f"pad must be a non-negative multiple of {step}, got {pad}")
    return int(pad)


def reflect_pad(x: torch.Tensor, pad: int, step: int = 4) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H + 2 pad, W + 2 pad), reflection-padded ``step`` pixels at a time, so inputs
    from ``step + 1`` pixels on can take any ``pad`` (one reflection of ``pad`` needs sides above ``pad``).
    ``pad`` must be a non-negative multiple of ``step``."""
    for _ in range(check_pad(pad, step) // step):
        x = torch.nn.functional.pad(x, (step, step, step, step), mode="reflect")
    return x


def with_reflected_border(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, pad: int
) -> torch.Tensor:
    """``fn`` run on ``x`` reflection-padded by ``pad`` (:func:`reflect_pad`), the pad cropped off its output:
    (N, C, H, W) -> (N, C_out, H, W) for a size-preserving ``fn``; plain ``fn(x)`` when ``pad`` is 0."""
    if not pad:
        return fn(x)
    return fn(reflect_pad(x, pad))[..., pad:-pad, pad:-pad]
