"""Style transfer speed, side by side in one run.

1. Gatys: seconds per 100 L-BFGS iterations (VGG16 taps relu1_1..relu5_1 + relu4_2, the default
   objective) at each long side (default 256 and 512, 4:3 content). Measured over ``--iters`` iterations
   after one warm-up iteration and scaled to 100. Speed does not depend on the weights, so a randomly
   initialised VGG16 is used (no download needed).
2. Fast style: images/s of the Johnson transformer network (randomly initialised; the speed is the same
   for a trained one) through onnxruntime (exported with `i2i.export`, the translate runtime's session)
   vs torch eager (the same [0, 1] -> [0, 1] module, inference mode), batch 1, timed interleaved image
   by image so load from other processes hits both alike.

    python benchmarks/stylize.py                      # 256 and 512
    python benchmarks/stylize.py --sizes 256 --iters 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def gatys_seconds_per_100(long_side: int, iters: int) -> float:
    from i2i.features.vgg import VGGFeatures
    from i2i.optimize.neural_style import NeuralStyleConfig, stylize

    config = NeuralStyleConfig(scales=(long_side,), iterations=iters + 1)
    features = VGGFeatures("vgg16", config.taps)
    content = torch.rand(3, long_side * 3 // 4, long_side)
    style = torch.rand(3, long_side * 5 // 8, long_side)
    stamps: list[float] = []
    stylize(features, content, [style], config, on_step=lambda info: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[0]) / iters * 100  # the first step (warm-up, targets) is excluded


def fast_style_rates(long_side: int, iters: int) -> tuple[float, float, str]:
    from i2i import checkpoint
    from i2i.export import export_generator
    from i2i.export.wrapper import ExportWrapper, inference_copy
    from i2i.nn import build_generator
    from i2i.runtime import TranslatorSession
    from i2i.specs import ArchSpec

    net = build_generator("johnson").eval()
    header = checkpoint.make_header(ArchSpec("johnson", {}), net, task="fast_style", name="bench")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "johnson.onnx"
        export_generator(net, header.to_json(), path, value_range=(-1.0, 1.0), multiple=4)
        session = TranslatorSession(path, device="auto")
        eager = ExportWrapper(inference_copy(net), (-1.0, 1.0)).eval()
        h = long_side * 3 // 4 // 4 * 4
        image = np.random.default_rng(0).random((1, 3, h, long_side), dtype=np.float32)
        x = torch.from_numpy(image)
        with torch.inference_mode():
            session(image)
            eager(x)  # warm-up
            t_ort = t_torch = 0.0
            for _ in range(iters):
                t = time.perf_counter()
                session(image)
                t_ort += time.perf_counter() - t
                t = time.perf_counter()
                eager(x)
                t_torch += time.perf_counter() - t
        return iters / t_ort, iters / t_torch, session.provider


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="256,512", help="long sides, comma-separated")
    parser.add_argument("--iters", type=int, default=5, help="timed iterations / images per size")
    parser.add_argument("--skip-gatys", action="store_true")
    parser.add_argument("--skip-fast", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if not args.skip_gatys:
        for side in sizes:
            s = gatys_seconds_per_100(side, args.iters)
            print(f"gatys L-BFGS  {side}x{side * 3 // 4}: {s:8.1f} s / 100 iterations (over {args.iters})")
    if not args.skip_fast:
        for side in sizes:
            ort_rate, torch_rate, provider = fast_style_rates(side, args.iters)
            shape = f"{side}x{side * 3 // 4 // 4 * 4}"
            print(
                f"fast style    {shape}: onnxruntime ({provider}) {ort_rate:6.2f} img/s, "
                f"torch eager {torch_rate:6.2f} img/s, ratio {ort_rate / torch_rate:4.2f}x"
            )


if __name__ == "__main__":
    main()
