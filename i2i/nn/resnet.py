"""ResNet generator (Johnson et al. 2016 as used by CycleGAN, Zhu et al. 2017, appendix 7.2).

Paper notation: ``c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-3``. Reflection padding keeps borders
free of the artefacts zero padding causes. Input sides must be multiples of 4 (two stride-2 stages).
"""

from __future__ import annotations

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.nn.layers import conv_bias, norm_layer

PADDINGS = ("reflect", "replicate", "zero")


def _pad(kind: str, amount: int) -> tuple[list[nn.Module], int]:
    """Explicit padding layers plus the conv's own padding for the given padding type."""
    if kind == "reflect":
        return [nn.ReflectionPad2d(amount)], 0
    if kind == "replicate":
        return [nn.ReplicationPad2d(amount)], 0
    if kind == "zero":
        return [], amount
    raise I2IError(f"unknown padding type {kind!r}; valid: {', '.join(PADDINGS)}")


class ResnetBlock(nn.Module):
    """``x + body(x)``: pad, conv3x3, norm, ReLU, [dropout 0.5], pad, conv3x3, norm. No ReLU after the add."""

    def __init__(self, channels: int, norm: str, use_dropout: bool, padding_type: str = "reflect") -> None:
        super().__init__()
        make_norm, bias = norm_layer(norm), conv_bias(norm)
        layers: list[nn.Module] = []
        for second in (False, True):
            pad_layers, conv_pad = _pad(padding_type, 1)
            layers += pad_layers
            layers += [nn.Conv2d(channels, channels, 3, padding=conv_pad, bias=bias), make_norm(channels)]
            if not second:
                layers.append(nn.ReLU(inplace=True))
                if use_dropout:
                    layers.append(nn.Dropout(0.5))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Encoder (c7s1-ngf, d2ngf, d4ngf), ``n_blocks`` residual blocks, decoder (u2ngf, u-ngf, c7s1-out, tanh).

    Input: (N, in_channels, H, W) in [-1, 1], H and W multiples of 4 (and >= 8 so the residual blocks'
    reflection padding fits). Output: (N, out_channels, H, W) in [-1, 1].
    """

    size_multiple = 4

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        n_blocks: int = 9,
        norm: str = "instance",
        use_dropout: bool = False,
        padding_type: str = "reflect",
    ) -> None:
        super().__init__()
        if n_blocks < 0:
            raise I2IError(f"n_blocks must be >= 0, got {n_blocks}")
        make_norm, bias = norm_layer(norm), conv_bias(norm)

        pad_layers, conv_pad = _pad(padding_type, 3)
        self.stem = nn.Sequential(
            *pad_layers,
            nn.Conv2d(in_channels, ngf, 7, padding=conv_pad, bias=bias),
            make_norm(ngf),
            nn.ReLU(inplace=True),
        )
        down: list[nn.Module] = []
        for mult in (1, 2):
            c = ngf * mult
            down += [
                nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=bias),
                make_norm(2 * c),
                nn.ReLU(inplace=True),
            ]
        self.down = nn.Sequential(*down)
        self.blocks = nn.Sequential(
            *(ResnetBlock(4 * ngf, norm, use_dropout, padding_type) for _ in range(n_blocks))
        )
        up: list[nn.Module] = []
        for mult in (4, 2):
            c = ngf * mult
            up += [
                nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                make_norm(c // 2),
                nn.ReLU(inplace=True),
            ]
        self.up = nn.Sequential(*up)
        pad_layers, conv_pad = _pad(padding_type, 3)
        self.head = nn.Sequential(*pad_layers, nn.Conv2d(ngf, out_channels, 7, padding=conv_pad), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.up(self.blocks(self.down(self.stem(x)))))
