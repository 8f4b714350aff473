"""Johnson transformer network for fast style transfer (Johnson, Alahi and Fei-Fei 2016, "Perceptual
Losses for Real-Time Style Transfer and Super-Resolution"; decoder as in Odena et al. 2016,
"Deconvolution and Checkerboard Artifacts").

Layers: 9x9 conv 32, 3x3 stride-2 conv 64, 3x3 stride-2 conv 128, 5 residual blocks of
128, two (nearest x2 upsample, 3x3 conv) stages to 64 and 32, 9x9 conv to 3, tanh. Reflection padding,
instance norm with affine parameters (the learned scale and shift carry much of the style), ReLU.
1,679,235 parameters with the defaults.

Input: (N, 3, H, W) in [-1, 1]; output ``output_scale * tanh(.)``, in [-output_scale, output_scale]
(callers clamp to [-1, 1]). H and W must be multiples of 4 for the output to have the input's size
(``size_multiple``).

Why a scaled tanh: Johnson et al. end with ``150 * tanh`` on the 0-255 scale, i.e. 150 / 127.5 = 1.176 in
[-1, 1] units, so black and white sit at |tanh| = 0.85 where the gradient is still alive, not at
saturation. (It does not remove the dark blotches short runs make: our 1000-step CPU runs show them with
either head.)

``norm="encoder"``: instance norm in the three encoder convs only; the residual blocks and the decoder have
plain biased convs. Why: the dark blotches are the "droplet" artefact Karras et al. (2020, StyleGAN2 §2)
traced to instance normalisation: the network grows one strong, localised spike that dominates a channel's
statistics and so sets the scale of everything else. In the instance-norm starry model shipped before this
option (2016 steps) the top 1% of pixels carry on average 42% of a channel's variance after the last residual
block and 76% in the last decoder stage, against 10-15% in the encoder (8 horse2zebra_mini photos,
``docs/style_droplets.py``), and the spike sits under the blotch. The encoder keeps its norms: there they
remove the photo's contrast (Ulyanov et al. 2016's reason for instance norm) and no spike dominates. The
price, measured: without the later norms' scale and shift the network learns the style about half as fast,
even with the init of ``_init_unnormalised`` (docs/shipped_models.md).

``pad``: Johnson et al. (supplementary material) found that zero-padded convolutions "resulted in severe
artifacts around the borders", and reflection-pad the input by 40 px instead, with unpadded convolutions in
the residual blocks. Here every conv keeps its own reflection padding and ``pad`` adds input padding on top,
cropped off at the end, so the borders the network handles badly fall outside the picture. Why it has such
borders: the two stride-2 convs centre their kernels on rows and columns 0, 4, 8, ... of the input, so the
last three rows and columns are reached only by kernel edges, and the bottom and right borders differ from
the top and left. In the starry model trained without a pad, 24-28% of the near-black pixels on the 48
horse2zebra_mini photos sat in the bottom 8 rows; the same weights with ``pad=8`` put 2% there, and after
1282 more steps trained with the pad 18% (half as many pixels as before): the reflection seam is not at the
same phase of the stride-4 grid at the top (row 0) and the bottom (row H-1), likely why some asymmetry
remains (docs/shipped_models.md).
"""

from __future__ import annotations

import torch
from torch import nn

from i2i.nn.layers import check_pad, with_reflected_border

NORMS = ("instance", "encoder")


def _conv(
    cin: int, cout: int, kernel: int, stride: int = 1, norm: bool = True, relu: bool = True
) -> nn.Sequential:
    layers: list[nn.Module] = [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(cin, cout, kernel, stride)]
    if norm:
        layers.append(nn.InstanceNorm2d(cout, affine=True))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """``x + (conv3x3, IN, ReLU, conv3x3, IN)(x)`` (without the INs when ``norm`` is False);
    shape-preserving."""

    def __init__(self, channels: int, norm: bool = True) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(channels, channels, 3, norm=norm), _conv(channels, channels, 3, norm=norm, relu=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ScaledTanh(nn.Module):
    """``scale * tanh(x)``, elementwise; no parameters."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x) * self.scale

    def extra_repr(self) -> str:
        return f"scale={self.scale:.4g}"


#: Johnson's 150 * tanh on the 0-255 scale, in [-1, 1] units.
JOHNSON_OUTPUT_SCALE = 150 / 127.5


class TransformerNet(nn.Module):
    """Johnson's image transformation network: (N, in_channels, H, W) in [-1, 1] -> (N, out_channels, H, W)
    in [-output_scale, output_scale]. ``ngf`` is the first stage's width (32), ``n_blocks`` the residual
    blocks (5); ``output_scale`` 1.0 gives a plain tanh; ``norm`` is "instance" (every conv but the last,
    as Johnson et al. with Ulyanov et al.'s instance norm) or "encoder" (the encoder's three only; see the
    module docstring). ``pad`` (a multiple of 4, default 0) reflection-pads the input by that many pixels on
    every side, 4 at a time (one reflection of ``pad`` would need inputs larger than ``pad``; the runtime
    feeds sides from 8 px), and crops them off the output, so the network's own image borders fall outside
    the picture (see the module docstring)."""

    size_multiple = 4

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 32,
        n_blocks: int = 5,
        output_scale: float = JOHNSON_OUTPUT_SCALE,
        norm: str = "instance",
        pad: int = 0,
    ) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {norm!r}")
        self.pad = check_pad(pad, self.size_multiple)
        later = norm == "instance"
        self.encoder = nn.Sequential(
            _conv(in_channels, ngf, 9), _conv(ngf, ngf * 2, 3, stride=2), _conv(ngf * 2, ngf * 4, 3, stride=2)
        )
        self.residual = nn.Sequential(*(ResidualBlock(ngf * 4, norm=later) for _ in range(n_blocks)))
        self.decoder = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(ngf * 4, ngf * 2, 3, norm=later),
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(ngf * 2, ngf, 3, norm=later),
            _conv(ngf, out_channels, 9, norm=False, relu=False),
            ScaledTanh(output_scale),
        )
        if not later:
            self._init_unnormalised()

    def _init_unnormalised(self) -> None:
        """Without norms to rescale them, the later convs need an init that keeps the signal's size: He
        init (fan-in, ReLU) for the decoder's convs, and each residual branch starting at zero (its last
        conv zeroed, so every block starts as the identity; Fixup, Zhang et al. 2019). PyTorch's default
        conv init shrinks the variance about 3x a layer, which left the first runs' outputs grey."""
        for block in self.residual:
            first, last = block.body[0][1], block.body[1][1]
            nn.init.kaiming_normal_(first.weight, nonlinearity="relu")
            nn.init.zeros_(first.bias)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        for stage in (self.decoder[1], self.decoder[3]):
            nn.init.kaiming_normal_(stage[1].weight, nonlinearity="relu")
            nn.init.zeros_(stage[1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return with_reflected_border(lambda t: self.decoder(self.residual(self.encoder(t))), x, self.pad)
