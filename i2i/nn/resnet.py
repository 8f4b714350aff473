"""ResNet generator (Johnson et al. 2016 as used by CycleGAN, Zhu et al. 2017, appendix 7.2).

Paper notation: ``c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-3``. Reflection padding keeps borders
free of the artefacts zero padding causes. Input sides must be multiples of 4 (two stride-2 stages).

Resampling options (see :mod:`i2i.nn.resample`): ``downsample="stride" | "blur"`` and
``upsample="transpose" | "resize-conv" | "blur"``. The defaults are the reference layout; the CUT authors'
generator (Park et al. 2020) is ``downsample="blur", upsample="blur"`` (:data:`CUT_GENERATOR`). None of
them changes the parameter count (11,378,179 for resnet_9blocks, 7,837,699 for resnet_6blocks): the
stride-1 convs and the 3x3 convs after up-sampling have the shapes of the convs they replace.

Intermediate features for PatchNCE (:meth:`ResnetGenerator.encode`) are addressed by position in the
flat layer sequence ``stem + down + blocks + up + head``, which with reflection padding is the CUT authors'
``ResnetGenerator.model`` list index for index, in either layout. The CUT layers 0, 4, 8, 12, 16 are:

====  ===============================================  ================================================
idx   downsample="blur" (CUT authors' default)         downsample="stride" (reference layout)
====  ===============================================  ================================================
0     the input after ReflectionPad2d(3): C_in,        same
      (H+6, W+6)
4     first down conv (stride 1), before its norm:     first down conv (stride 2), before its norm:
      2ngf, (H, W)                                     2ngf, (H/2, W/2)
8     second down conv (stride 1), before its norm:    second down stage's output after its ReLU
      4ngf, (H/2, W/2)                                 (see below): 4ngf, (H/4, W/4)
12    output of residual block 1: 4ngf, (H/4, W/4)     output of residual block 3
16    output of residual block 5: 4ngf, (H/4, W/4)     output of residual block 7
====  ===============================================  ================================================

With ``padding_type="zero"`` the stem has no padding layer and every index above shifts down by one.

Layer 8 with ``downsample="stride"`` is the second down stage's norm, followed by an in-place ReLU. The
authors' ``forward(layers, encode_only=True)`` appends that norm's output to its feature list and then runs
the ReLU in place on the same tensor, so the feature PatchNCE reads is the ReLU's output; :meth:`encode`
does the same by default (``after_inplace_relu=False`` gives the norm's own output).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.nn.layers import conv_bias, norm_layer
from i2i.nn.resample import DOWNSAMPLE, UPSAMPLE, check_choice, down_layers, up_conv

PADDINGS = ("reflect", "replicate", "zero")
#: Generator kwargs of the CUT authors' anti-aliased ResNet generator.
CUT_GENERATOR: dict[str, str] = {"downsample": "blur", "upsample": "blur"}


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

    ``residual=True`` (not in the papers; needs ``in_channels == out_channels``) adds the input to the
    tanh head's output and clamps the sum to [-1, 1], so the network learns a change to the image rather
    than the image itself: a freshly initialised generator is nearly the identity and keeps the input's
    detail, which an encoder-decoder with few channels and few steps otherwise blurs.

    ``downsample``: ``stride`` (3x3 stride-2 convs) or ``blur`` (stride-1 conv, norm, ReLU, blur-pool).
    ``upsample``: ``transpose`` (3x3 transposed convs), ``resize-conv`` (nearest x2, 3x3 conv) or ``blur``
    (binomial x2, 3x3 conv).

    ``decoder_norm`` (None: ``norm``; not in the papers) is the norm of the decoder half: the last
    ``n_blocks // 2`` residual blocks and the up-sampling stages, MUNIT's split of a generator into content
    encoder and decoder. ``norm="instance", decoder_norm="layer"`` keeps instance norm where it strips each
    input's contrast (the encoder, and every layer PatchNCE reads: the stem, the down stages and the first
    residual blocks) and puts layer norm where instance norm grows dark "droplet" blotches (the decoder;
    see :func:`i2i.nn.layers.norm_layer`).
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
        downsample: str = "stride",
        upsample: str = "transpose",
        residual: bool = False,
        decoder_norm: str | None = None,
    ) -> None:
        super().__init__()
        if n_blocks < 0:
            raise I2IError(f"n_blocks must be >= 0, got {n_blocks}")
        if residual and in_channels != out_channels:
            raise I2IError(
                f"residual needs as many output as input channels, got {in_channels} -> {out_channels}"
            )
        self.residual = residual
        check_choice("downsample", downsample, DOWNSAMPLE)
        check_choice("upsample", upsample, UPSAMPLE)
        self.in_channels = in_channels
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
            down += down_layers(downsample, c, 2 * c, bias, make_norm)
        self.down = nn.Sequential(*down)
        decoder_norm = decoder_norm or norm
        encoder_blocks = n_blocks - n_blocks // 2
        self.blocks = nn.Sequential(
            *(
                ResnetBlock(4 * ngf, norm if i < encoder_blocks else decoder_norm, use_dropout, padding_type)
                for i in range(n_blocks)
            )
        )
        make_up_norm, up_bias = norm_layer(decoder_norm), conv_bias(decoder_norm)
        up: list[nn.Module] = []
        for mult in (4, 2):
            c = ngf * mult
            up += [*up_conv(upsample, c, c // 2, 3, 1, up_bias), make_up_norm(c // 2), nn.ReLU(inplace=True)]
        self.up = nn.Sequential(*up)
        pad_layers, conv_pad = _pad(padding_type, 3)
        self.head = nn.Sequential(*pad_layers, nn.Conv2d(ngf, out_channels, 7, padding=conv_pad), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.up(self.blocks(self.down(self.stem(x)))))
        return (x + out).clamp(-1.0, 1.0) if self.residual else out

    def layer_sequence(self) -> list[nn.Module]:
        """The layers in the order ``forward`` applies them (``stem + down + blocks + up + head``).

        An index into this list is a layer number for :meth:`encode` (the CUT authors' numbering, see the
        module docstring).
        """
        return [*self.stem, *self.down, *self.blocks, *self.up, *self.head]

    def _check_layers(self, layers: Sequence[int]) -> list[int]:
        wanted = [int(i) for i in layers]
        last = len(self.layer_sequence()) - 1
        if not wanted or any(b <= a for a, b in itertools.pairwise(wanted)):
            raise I2IError(f"layers must be a non-empty, strictly increasing list, got {list(layers)}")
        if wanted[0] < 0 or wanted[-1] > last:
            raise I2IError(f"layers must lie in 0..{last} for this generator, got {list(layers)}")
        return wanted

    def encode(
        self, x: torch.Tensor, layers: Sequence[int], *, after_inplace_relu: bool = True
    ) -> list[torch.Tensor]:
        """Outputs of the layers numbered ``layers`` (strictly increasing) for input ``x``.

        Input: (N, in_channels, H, W) in [-1, 1] as for ``forward``. Returns one (N, C_l, H_l, W_l) tensor
        per requested layer, in the order requested; the forward pass stops after the last of them.
        Gradients flow as in ``forward``. A layer followed by ``ReLU(inplace=True)`` (a norm output) is
        read after that ReLU, as the CUT authors' code reads it (module docstring), unless it is the last
        layer asked for (where their forward stops too); ``after_inplace_relu=False`` reads the layer's
        own output instead (cloned before the ReLU overwrites it).
        """
        wanted = self._check_layers(layers)
        sequence = self.layer_sequence()
        feats: list[torch.Tensor] = []
        later: int | None = None  # index in feats of a feature to take after the next (in-place ReLU) layer
        h = x
        for index, layer in enumerate(sequence[: wanted[-1] + 1]):
            h = layer(h)
            if later is not None:
                feats[later], later = h, None
            if index in wanted:
                nxt = sequence[index + 1] if index < wanted[-1] else None
                in_place = isinstance(nxt, nn.ReLU) and nxt.inplace
                if in_place and after_inplace_relu:
                    later = len(feats)
                feats.append(h.clone() if in_place and not after_inplace_relu else h)
        return feats

    def feature_channels(self, layers: Sequence[int]) -> list[int]:
        """Channel count of each layer's output in ``layers`` (what :meth:`encode` returns), without a
        forward pass; lets a PatchNCE head be built before the first batch."""
        wanted = self._check_layers(layers)
        channels, out = self.in_channels, []
        for index, layer in enumerate(self.layer_sequence()[: wanted[-1] + 1]):
            if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
                channels = layer.out_channels
            if index in wanted:
                out.append(channels)
        return out
