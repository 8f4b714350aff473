"""DeepDream speed and memory: seconds per gradient step at a given size, whole-image vs tiled, float32 vs
``--amp auto`` (bf16 autocast + channels_last on CPUs with AMX/AVX512-BF16, else float32), and peak RSS.

Each configuration runs in its own subprocess so its peak resident memory is its own. Weights come from the
feature resolver (cache, download, or the package index); pass --weights to use a file.

    python benchmarks/dream.py                      # 512 px whole vs tiled 256, plus a 2048 px tiled run
    python benchmarks/dream.py --sizes 512 --steps 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def child(size: int, tile: int | None, steps: int, weights: str | None, amp_mode: str) -> None:
    import torch

    from i2i.amp import resolve_amp
    from i2i.features.inception import load_inception_taps
    from i2i.optimize.deepdream import PRESETS, image_gradient

    torch.manual_seed(0)
    layers = PRESETS["chollet"]
    amp = resolve_amp(amp_mode, "cpu")
    features = amp.module(load_inception_taps(list(layers), weights))
    x = torch.rand(1, 3, size, size) * 2 - 1
    image_gradient(features, x, layers, 2, tile, amp)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        image_gradient(features, x, layers, 2, tile, amp)
    seconds = (time.perf_counter() - start) / steps
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = {"size": size, "tile": tile, "amp": amp.mode, "s_per_step": seconds, "peak_rss_mib": peak_mib}
    print(json.dumps(row))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="512", help="comma-separated square sizes for whole vs tiled")
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument(
        "--large", type=int, default=2048, help="also run one tiled step at this size (0: skip)"
    )
    parser.add_argument("--weights", default=None)
    parser.add_argument("--child", nargs=4, metavar=("SIZE", "TILE", "STEPS", "AMP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        size, tile, steps, amp = args.child
        child(int(size), None if tile == "none" else int(tile), int(steps), args.weights, amp)
        return

    configs = []
    for size in (int(s) for s in args.sizes.split(",")):
        configs += [(size, None, args.steps, "none"), (size, None, args.steps, "auto")]
        configs += [(size, args.tile, args.steps, "none")]
    if args.large:
        configs.append((args.large, 512, 1, "none"))
    print(f"{'size':>6} {'tile':>6} {'amp':>10} {'s/step':>8} {'peak RSS MiB':>13}")
    rows = {}
    for size, tile, steps, amp in configs:
        cmd = [sys.executable, __file__, "--child", str(size), str(tile or "none"), str(steps), amp]
        if args.weights:
            cmd += ["--weights", args.weights]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        row = json.loads(out)
        rows[(size, tile, amp)] = row
        label = f"{amp}={row['amp']}" if amp == "auto" else amp
        print(
            f"{size:>6} {tile or '-':>6} {label:>10} {row['s_per_step']:>8.2f} {row['peak_rss_mib']:>13.0f}"
        )
    for size in (int(s) for s in args.sizes.split(",")):
        whole, tiled = rows[(size, None, "none")], rows[(size, args.tile, "none")]
        auto = rows[(size, None, "auto")]
        print(
            f"{size}px: tiled/whole time {tiled['s_per_step'] / whole['s_per_step']:.2f}x, "
            f"peak memory {tiled['peak_rss_mib'] / whole['peak_rss_mib']:.2f}x; --amp auto ({auto['amp']}) "
            f"{whole['s_per_step'] / auto['s_per_step']:.2f}x float32 speed"
        )


if __name__ == "__main__":
    main()
