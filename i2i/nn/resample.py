"""Resampling stages for the generators: the reference transposed conv, resize-conv and anti-aliased blur.

Down-sampling by 2 (``DOWNSAMPLE``):

- ``stride``: a 3x3 conv with stride 2 (CycleGAN's ``dk``; the reference-exact default).
- ``blur``: the same 3x3 conv at stride 1, norm, ReLU, then :class:`BlurDownsample` (Zhang 2019, "Making
  Convolutional Networks Shift-Invariant Again": low-pass before sub-sampling). This is the CUT authors'
  generator (Park et al. 2020), whose blur filter is the 3-tap binomial [1, 2, 1] with reflection padding.

Up-sampling by 2 (``UPSAMPLE``), each replacing a transposed conv ``cin -> cout`` of kernel ``k``:

- ``transpose``: the transposed conv itself (reference-exact default). Its kernel overlaps unevenly on
  the output grid when ``k`` is not a multiple of the stride, the usual source of checkerboards.
- ``resize-conv``: nearest-neighbour x2 then a 3x3 conv ``cin -> cout`` (Odena, Dumoulin and Olah 2016,
  "Deconvolution and Checkerboard Artifacts"). Every output pixel is made by the same 3x3 kernel, so
  there is no uneven overlap to begin with.
- ``blur``: :class:`BlurUpsample` (zero-insertion x2 then the 4-tap binomial [1, 3, 3, 1], replicate
  padding) then a 3x3 conv ``cin -> cout``: the CUT authors' anti-aliased up-sampling.

Why nearest rather than bilinear for resize-conv: Odena et al. report their best results with
nearest-neighbour and difficulty making bilinear resize work; the 3x3 conv that follows already smooths
across the duplicated pixels (bilinear is close to ``blur``, offered separately); and nearest has one
unambiguous definition in ONNX ``Resize`` (bilinear depends on a coordinate-transformation mode that
runtimes have implemented differently), so torch and onnxruntime agree exactly.

The blur filters are fixed buffers named ``filt`` of shape (C, 1, k, k), the CUT authors' layout, so a
state dict saved by their code lines up layer by layer with ours.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from i2i.errors import I2IError

DOWNSAMPLE: tuple[str, ...] = ("stride", "blur")
UPSAMPLE: tuple[str, ...] = ("transpose", "resize-conv", "blur")


def check_choice(option: str, value: str, valid: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``valid``, else raise I2IError naming the option and the choices."""
    if value not in valid:
        raise I2IError(f"unknown {option} {value!r}; valid: {', '.join(valid)}")
    return value


def binomial_filter(taps: int) -> torch.Tensor:
    """The normalised 2-D binomial filter of ``taps`` x ``taps`` (outer product of a Pascal row, sum 1).

    taps 3: [1, 2, 1]/4 outer itself; taps 4: [1, 3, 3, 1]/8 outer itself.
    """
    if taps < 1:
        raise ValueError(f"taps must be >= 1, got {taps}")
    row = torch.ones(1, dtype=torch.float64)
    for _ in range(taps - 1):
        row = torch.cat([row, row.new_zeros(1)]) + torch.cat([row.new_zeros(1), row])
    kernel = row[:, None] * row[None, :]
    return (kernel / kernel.sum()).float()


class BlurDownsample(nn.Module):
    """Low-pass then sub-sample by 2: reflect-pad 1, depthwise 3x3 binomial filter, stride 2.

    (N, C, H, W) -> (N, C, ceil(H / 2), ceil(W / 2)); H and W must be >= 2 (reflection padding).
    Constant images stay constant.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.pad = nn.ReflectionPad2d(1)
        self.register_buffer("filt", binomial_filter(3)[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(self.pad(x), self.filt, stride=2, groups=self.channels)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, taps=3"


class BlurUpsample(nn.Module):
    """Up-sample by 2: insert zeros, then filter with 4 x the 4x4 binomial, replicate padding at borders.

    (N, C, H, W) -> (N, C, 2H, 2W). In the interior each output pixel is a 3:1 (then 9:3:3:1 in 2-D) blend
    of its nearest inputs, i.e. bilinear interpolation at half-pixel offsets; constant images stay
    constant, borders included. Implemented as the CUT authors do: replicate-pad 1, depthwise transposed
    conv stride 2, then drop the padded border (here folded into the transposed conv's ``padding=3``).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.pad = nn.ReplicationPad2d(1)
        self.register_buffer("filt", (binomial_filter(4) * 4)[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose2d(self.pad(x), self.filt, stride=2, padding=3, groups=self.channels)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, taps=4"


def down_layers(
    kind: str, cin: int, cout: int, bias: bool, make_norm: Callable[[int], nn.Module]
) -> list[nn.Module]:
    """One ResNet-generator down stage ``cin -> cout`` at half resolution: conv, norm, ReLU [, blur].

    ``make_norm`` is a ``channels -> module`` constructor (see :func:`i2i.nn.layers.norm_layer`).
    """
    check_choice("downsample", kind, DOWNSAMPLE)
    stride = 2 if kind == "stride" else 1
    layers = [
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=bias),
        make_norm(cout),
        nn.ReLU(inplace=True),
    ]
    if kind == "blur":
        layers.append(BlurDownsample(cout))
    return layers


def up_conv(kind: str, cin: int, cout: int, kernel: int, padding: int, bias: bool) -> list[nn.Module]:
    """The layers that double the resolution and map ``cin -> cout`` channels.

    ``transpose``: ``ConvTranspose2d(cin, cout, kernel, stride 2, padding, output_padding=kernel % 2)``
    (3x3 with output_padding 1 in the ResNet generator, 4x4 in the U-Net: both give exactly 2H).
    ``resize-conv``: nearest x2, ``Conv2d(cin, cout, 3, padding=1)``. ``blur``: BlurUpsample,
    ``Conv2d(cin, cout, 3, padding=1)``. Convs use zero padding, like the transposed conv they replace.
    """
    check_choice("upsample", kind, UPSAMPLE)
    if kind == "transpose":
        return [
            nn.ConvTranspose2d(
                cin, cout, kernel, stride=2, padding=padding, output_padding=kernel % 2, bias=bias
            )
        ]
    resize: nn.Module
    resize = nn.Upsample(scale_factor=2, mode="nearest") if kind == "resize-conv" else BlurUpsample(cin)
    return [resize, nn.Conv2d(cin, cout, 3, padding=1, bias=bias)]
