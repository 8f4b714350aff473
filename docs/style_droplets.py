"""How much of each normalised channel's variance a few pixels carry, layer by layer, in a generator
checkpoint: the "droplet" measure behind ``i2i train style --norm encoder`` (see i2i/nn/transformer.py) and
``--norm layer`` for the translation generators.

For every InstanceNorm2d or GroupNorm (``--norm layer``) input (1, C, H, W) it prints the share of each
channel's variance that its top 1% of pixels carry (mean and max over channels), averaged over the photos.
Spread-out image content gives a few percent to ~15%; a droplet spike that dominates a channel's statistics
gives far more.

    python docs/style_droplets.py runs/starry/model.pt ../shared/data/horse2zebra_mini --limit 8
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

from i2i import checkpoint
from i2i.imageio import list_images, read_image, resize_long_side, to_float_chw


def top_share(x: torch.Tensor, fraction: float = 0.01) -> torch.Tensor:
    """(C, H, W) -> (C,): the share of each channel's variance in its top ``fraction`` of pixels."""
    dev = (x - x.mean((1, 2), keepdim=True)).flatten(1) ** 2
    k = max(1, int(dev.shape[1] * fraction))
    return dev.topk(k, dim=1).values.sum(1) / dev.sum(1).clamp_min(1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("photos", type=Path)
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    net = checkpoint.load(args.checkpoint).module
    shares: dict[str, list[torch.Tensor]] = {}

    def hook(name: str):
        return lambda _m, inputs, _out: shares.setdefault(name, []).append(top_share(inputs[0][0].float()))

    for name, module in net.named_modules():
        if isinstance(module, nn.InstanceNorm2d | nn.GroupNorm):
            module.register_forward_hook(hook(name))
    paths, _ = list_images(args.photos)
    with torch.no_grad():
        for path in paths[: args.limit]:
            photo = to_float_chw(resize_long_side(read_image(path), args.size))
            net(torch.from_numpy(photo)[None] * 2 - 1)
    print(f"{'layer':<24}{'mean share':>12}{'max share':>12}   ({min(len(paths), args.limit)} photos)")
    for name, values in shares.items():
        stacked = torch.stack(values)
        print(f"{name:<24}{float(stacked.mean()):>12.2f}{float(stacked.max(1).values.mean()):>12.2f}")


if __name__ == "__main__":
    main()
