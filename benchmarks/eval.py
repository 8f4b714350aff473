"""Evaluation speed on this machine: FID Inception feature extraction (images/s, including the TF resize
to 299 px) and LPIPS (image pairs/s) at a given image size. Weights come from the feature resolver (cache,
else the package index).

    python benchmarks/eval.py                          # 256 px, batch 16, 3 timed repeats, torch's threads
    python benchmarks/eval.py --size 128 --batch 8 --threads 1 --lpips vgg alex
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch


def rate(fn, count: int, repeats: int) -> tuple[float, float]:
    """(median, best) items/s of ``fn`` processing ``count`` items, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return count / statistics.median(times), count / min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=256, help="input side in pixels (square images)")
    parser.add_argument("--batch", type=int, default=16, help="images (pairs) per call")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lpips", nargs="*", default=["vgg"], help="LPIPS backbones: vgg, alex")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from i2i.eval.inception_features import FIDInception
    from i2i.eval.lpips import load_lpips

    quiet = lambda _m: None  # noqa: E731
    g = torch.Generator().manual_seed(0)
    x = torch.rand(args.batch, 3, args.size, args.size, generator=g)
    y = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    print(
        f"device {args.device}, torch threads {torch.get_num_threads()}, {args.size} px, batch {args.batch}, "
        f"median (best) of {args.repeats}"
    )
    net = FIDInception(device=args.device)
    med, best = rate(lambda: net(x), args.batch, args.repeats)
    print(f"  FID Inception pool3 features : {med:7.2f} ({best:.2f}) images/s")
    for backbone in args.lpips:
        model = load_lpips(backbone, log=quiet).to(args.device)
        med, best = rate(lambda m=model: m.distance(x, y, batch_size=args.batch), args.batch, args.repeats)
        print(f"  LPIPS ({backbone:4s})                 : {med:7.2f} ({best:.2f}) pairs/s")


if __name__ == "__main__":
    main()
