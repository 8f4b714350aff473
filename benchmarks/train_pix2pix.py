"""Pix2Pix training speed, side by side in one run: optimizer steps per second (batch 1 by default).

Every variant trains its own copy of the same freshly initialised unet_256 + 70x70 PatchGAN on the same
random 256x256 pairs with the recipe's real step (:meth:`i2i.train.pix2pix.Pix2Pix.train_step`: D update,
then G update). Variants are timed interleaved, step by step, so load from other processes hits all of them
alike; the reported rate is 1 / median step time.

Variants: ``eager`` (float32, NCHW), ``channels_last``, ``bf16`` (autocast), ``bf16+channels_last``,
``fp16`` (autocast + loss scaling; CUDA only by default) and, with ``--compile``, ``compile``
(``torch.compile`` of G and D; slow to warm up on CPU).

    python benchmarks/train_pix2pix.py                      # unet_256 at 256, 5 timed steps per variant
    python benchmarks/train_pix2pix.py --steps 3 --variants eager channels_last
    python benchmarks/train_pix2pix.py --netG unet_128 --size 128 --ngf 32 --ndf 32
"""

from __future__ import annotations

import argparse
import copy

import torch
from _timing import VARIANTS, default_variants, interleaved, print_table, time_step
from rich.console import Console

from i2i.amp import Precision, select_device
from i2i.nn import build_discriminator, build_generator
from i2i.train.distributed import DistContext
from i2i.train.pix2pix import Pix2Pix, Pix2PixConfig
from i2i.train.recipe import Env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--netG", default="unet_256")
    parser.add_argument("--netD", default="basic")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per variant first")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--variants", nargs="+", default=None, choices=list(VARIANTS))
    parser.add_argument("--compile", action="store_true", help="add the torch.compile variant")
    args = parser.parse_args()

    device = select_device(args.device)
    names = default_variants(device, args.variants, args.compile)

    torch.manual_seed(0)
    G0 = build_generator(args.netG, ngf=args.ngf)
    D0 = build_discriminator(args.netD, in_channels=6, ndf=args.ndf)
    cfg = Pix2PixConfig(data="-", netG=args.netG, netD=args.netD, ngf=args.ngf, ndf=args.ndf)
    shape = (args.batch_size, 3, args.size, args.size)
    real_A, real_B = torch.rand(shape) * 2 - 1, torch.rand(shape) * 2 - 1

    runs = {}
    for name in names:
        amp, channels_last = VARIANTS[name]
        prec = Precision(device, amp, channels_last)
        G, D = prec.prepare_model(copy.deepcopy(G0)).train(), prec.prepare_model(copy.deepcopy(D0)).train()
        opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        if name == "compile":
            G, D = torch.compile(G), torch.compile(D)
        recipe = Pix2Pix(cfg, Env(cfg, DistContext(device=device), prec, Console(quiet=True)))
        recipe.modules = recipe.nets = {"G": G, "D": D}
        recipe.optimizers = {"G": opt_G, "D": opt_D}
        recipe.scalers = {"G": prec.grad_scaler(), "D": prec.grad_scaler()}
        runs[name] = recipe

    def one_step(name: str) -> float:
        recipe = runs[name]
        batch = {"A": recipe.env.batch(real_A), "B": recipe.env.batch(real_B)}
        return time_step(lambda: recipe.train_step(batch), device)

    times = interleaved(names, one_step, args.steps, args.warmup)

    print(
        f"pix2pix training: {args.netG} (ngf {args.ngf}) + {args.netD} (ndf {args.ndf}), "
        f"{args.size}x{args.size}, batch {args.batch_size}, device {device}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {args.steps} timed steps per variant (interleaved)"
    )
    print_table(times)


if __name__ == "__main__":
    main()
