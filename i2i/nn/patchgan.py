"""PatchGAN discriminators (pix2pix, Isola et al. 2017, section 3.2.2 and appendix 6.1.2).

``basic`` is the 70x70 PatchGAN: C64 (no norm) - C128 - C256 - C512 (stride 1) - 4x4 conv to 1 channel,
padding 1 everywhere, so a 256x256 input gives a 30x30 map of logits, one per overlapping 70x70 patch.
``n_layers`` is the same family at any depth; ``pixel`` is the 1x1 PixelGAN.

``antialias=True`` is the CUT authors' discriminator (Park et al. 2020): every stride-2 conv becomes the same
conv at stride 1, its norm and LeakyReLU, then a blur-pool (:class:`i2i.nn.resample.BlurDownsample`). Same
parameters; at 256x256 the output is still 30x30.
"""

from __future__ import annotations

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.nn.layers import conv_bias, norm_layer
from i2i.nn.resample import BlurDownsample


class NLayerDiscriminator(nn.Module):
    """PatchGAN with ``n_layers`` stride-2 stages.

    Input: (N, in_channels, H, W) in [-1, 1] (pix2pix: concat(input, candidate), so 6 channels).
    Output: (N, 1, H', W') raw logits (no sigmoid; the loss chooses). 30x30 for 256x256 at n_layers=3.
    """

    def __init__(
        self,
        in_channels: int = 3,
        ndf: int = 64,
        n_layers: int = 3,
        norm: str = "batch",
        antialias: bool = False,
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise I2IError(f"n_layers must be >= 1, got {n_layers}")
        make_norm, bias = norm_layer(norm), conv_bias(norm)
        down = 1 if antialias else 2
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, ndf, 4, stride=down, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        if antialias:
            layers.append(BlurDownsample(ndf))
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = down if n < n_layers else 1
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1, bias=bias),
                make_norm(ndf * mult),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            if antialias and n < n_layers:
                layers.append(BlurDownsample(ndf * mult))
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """1x1 PixelGAN: classifies every pixel independently. Output (N, 1, H, W) logits."""

    def __init__(self, in_channels: int = 3, ndf: int = 64, norm: str = "batch") -> None:
        super().__init__()
        make_norm, bias = norm_layer(norm), conv_bias(norm)
        self.model = nn.Sequential(
            nn.Conv2d(in_channels, ndf, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 2 * ndf, 1, bias=bias),
            make_norm(2 * ndf),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(2 * ndf, 1, 1, bias=bias),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
