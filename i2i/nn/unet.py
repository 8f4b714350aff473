"""U-Net generator of pix2pix (Isola et al. 2017, appendix 6.1.1).

Encoder C64 - C128 - C256 - C512 x (num_downs - 3) with 4x4 stride-2 convs (the first without norm),
LeakyReLU(0.2) before every conv but the first; the decoder mirrors it with 4x4 stride-2 transposed convs,
ReLU before each, and concatenates the encoder feature of the same size (skip connections). Dropout 0.5
follows the (num_downs - 5) decoder blocks just outside the bottleneck (three for unet_256).

``upsample="resize-conv"`` replaces every 4x4 transposed conv by nearest x2 then a 3x3 conv with the same
channels (Odena et al. 2016; see :mod:`i2i.nn.resample`), which removes the transposed convs' uneven
overlap; the default ``transpose`` is the reference layout. Resize-conv has 9/16 of the up-path weights:
unet_256 with batch norm has 54,413,955 parameters with ``transpose`` and 39,157,763 with ``resize-conv``.

One detail matters for parity with the reference implementation: its LeakyReLU runs in place on the
block input, so the skip connection carries the *activated* encoder feature. We do the same explicitly.
"""

from __future__ import annotations

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.nn.layers import conv_bias, norm_layer
from i2i.nn.resample import check_choice, up_conv

#: Up-sampling choices of the U-Net (the anti-aliased ``blur`` is a ResNet-generator option only).
UNET_UPSAMPLE: tuple[str, ...] = ("transpose", "resize-conv")


class UnetGenerator(nn.Module):
    """U-Net with ``num_downs`` stride-2 stages.

    Input: (N, in_channels, H, W) in [-1, 1] with H and W multiples of ``2**num_downs`` (pad, don't resize).
    Output: (N, out_channels, H, W) in [-1, 1]. ``upsample``: ``transpose`` (4x4 transposed convs) or
    ``resize-conv`` (nearest x2 then 3x3 conv).

    Module order (all ``down`` stages outermost first, then all ``up`` stages innermost first) follows the
    order in which the reference implementation's nested blocks list their parameters.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        num_downs: int = 8,
        norm: str = "batch",
        use_dropout: bool = True,
        upsample: str = "transpose",
    ) -> None:
        super().__init__()
        check_choice("upsample", upsample, UNET_UPSAMPLE)
        if num_downs < 5:
            raise I2IError(f"num_downs must be >= 5, got {num_downs}")
        self.num_downs = num_downs
        make_norm, bias = norm_layer(norm), conv_bias(norm)
        # Channel widths at each depth: ngf, 2ngf, 4ngf, then 8ngf down to the bottleneck.
        widths = [ngf, 2 * ngf, 4 * ngf] + [8 * ngf] * (num_downs - 3)

        down: list[nn.Module] = [nn.Conv2d(in_channels, ngf, 4, stride=2, padding=1, bias=bias)]
        for depth in range(1, num_downs):
            conv = nn.Conv2d(widths[depth - 1], widths[depth], 4, stride=2, padding=1, bias=bias)
            innermost = depth == num_downs - 1
            down.append(conv if innermost else nn.Sequential(conv, make_norm(widths[depth])))
        self.down = nn.ModuleList(down)

        up: list[nn.Module] = []
        for depth in range(num_downs - 1, 0, -1):  # innermost first
            in_c = widths[depth] if depth == num_downs - 1 else 2 * widths[depth]
            layers: list[nn.Module] = [
                nn.ReLU(inplace=True),
                *up_conv(upsample, in_c, widths[depth - 1], 4, 1, bias),
                make_norm(widths[depth - 1]),
            ]
            # Dropout sits in the 8ngf-to-8ngf blocks between the bottleneck and the 4ngf level.
            if use_dropout and 4 <= depth < num_downs - 1:
                layers.append(nn.Dropout(0.5))
            up.append(nn.Sequential(*layers))
        up.append(
            nn.Sequential(
                nn.ReLU(inplace=True),
                *up_conv(upsample, 2 * ngf, out_channels, 4, 1, True),
                nn.Tanh(),
            )
        )
        self.up = nn.ModuleList(up)

    @property
    def size_multiple(self) -> int:
        return 2**self.num_downs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips: list[torch.Tensor] = []
        h = self.down[0](x)
        for stage in self.down[1:]:
            h = nn.functional.leaky_relu(h, 0.2)
            skips.append(h)
            h = stage(h)
        h = self.up[0](h)
        for stage in self.up[1:]:
            h = stage(torch.cat([skips.pop(), h], dim=1))
        return h
