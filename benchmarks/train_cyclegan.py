"""CycleGAN training speed, side by side in one run: optimizer steps per second (batch 1 by default).

Every variant trains its own copy of the same freshly initialised pair of generators (resnet_9blocks by
default) and pair of 70x70 PatchGANs on the same random unpaired 256x256 images with the recipe's real step
(:meth:`i2i.train.cyclegan.CycleGAN.train_step`: both generators, then both discriminators on pooled
fakes).
Variants are timed interleaved, step by step; the rate is 1 / median step time.

    python benchmarks/train_cyclegan.py                     # resnet_9blocks at 256, 3 timed steps per variant
    python benchmarks/train_cyclegan.py --netG resnet_6blocks --size 128 --ngf 16 --ndf 32 --variants eager
"""

from __future__ import annotations

import argparse
import copy
import itertools

import torch
from _timing import VARIANTS, default_variants, interleaved, print_table, time_step
from rich.console import Console

from i2i.amp import Precision, select_device
from i2i.nn import build_discriminator, build_generator
from i2i.train.cyclegan import CycleGAN, CycleGANConfig
from i2i.train.distributed import DistContext
from i2i.train.image_pool import ImagePool
from i2i.train.recipe import Env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--netG", default="resnet_9blocks")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per variant first")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--variants", nargs="+", default=None, choices=list(VARIANTS))
    parser.add_argument("--compile", action="store_true", help="add the torch.compile variant")
    args = parser.parse_args()

    device = select_device(args.device)
    names = default_variants(device, args.variants, args.compile)
    torch.manual_seed(0)
    nets0 = [build_generator(args.netG, ngf=args.ngf) for _ in range(2)]
    nets0 += [build_discriminator("basic", in_channels=3, ndf=args.ndf, norm="instance") for _ in range(2)]
    cfg = CycleGANConfig(data="-", netG=args.netG, ngf=args.ngf, ndf=args.ndf)
    shape = (args.batch_size, 3, args.size, args.size)
    real_A, real_B = torch.rand(shape) * 2 - 1, torch.rand(shape) * 2 - 1

    runs = {}
    for name in names:
        amp, channels_last = VARIANTS[name]
        prec = Precision(device, amp, channels_last)
        G_A, G_B, D_A, D_B = (prec.prepare_model(copy.deepcopy(m)).train() for m in nets0)
        opt_G = torch.optim.Adam(
            itertools.chain(G_A.parameters(), G_B.parameters()), lr=2e-4, betas=(0.5, 0.999)
        )
        opt_D = torch.optim.Adam(
            itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999)
        )
        if name == "compile":
            G_A, G_B, D_A, D_B = (torch.compile(m) for m in (G_A, G_B, D_A, D_B))
        recipe = CycleGAN(cfg, Env(cfg, DistContext(device=device), prec, Console(quiet=True)))
        recipe.modules = recipe.nets = {"G_A": G_A, "G_B": G_B, "D_A": D_A, "D_B": D_B}
        recipe.optimizers = {"G": opt_G, "D": opt_D}
        recipe.scalers = {"G": prec.grad_scaler(), "D": prec.grad_scaler()}
        recipe.pools = (ImagePool(cfg.pool_size), ImagePool(cfg.pool_size))
        runs[name] = recipe

    def one_step(name: str) -> float:
        recipe = runs[name]
        batch = {"A": recipe.env.batch(real_A), "B": recipe.env.batch(real_B)}
        return time_step(lambda: recipe.train_step(batch), device)

    times = interleaved(names, one_step, args.steps, args.warmup)
    print(
        f"cyclegan training: 2x {args.netG} (ngf {args.ngf}) + 2x basic PatchGAN (ndf {args.ndf}), "
        f"{args.size}x{args.size}, batch {args.batch_size}, device {device}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {args.steps} timed steps per variant (interleaved)"
    )
    print_table(times)


if __name__ == "__main__":
    main()
