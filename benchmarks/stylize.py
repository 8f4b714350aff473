"""Style transfer speed, side by side in one run.

1. Gatys: seconds per 100 L-BFGS iterations (VGG16 taps relu1_1..relu5_1 + relu4_2, the default
   objective) at each long side (default 256 and 512, 4:3 content). Measured over ``--iters`` iterations
   after one warm-up iteration and scaled to 100. Speed does not depend on the weights, so a randomly
   initialised VGG16 is used (no download needed).
2. Fast style: images/s of the Johnson transformer network (randomly initialised; the speed is the same
   for a trained one) through onnxruntime (exported with `i2i.export`, the translate runtime's session)
   vs torch eager (the same [0, 1] -> [0, 1] module, inference mode), batch 1, timed interleaved image
   by image so load from other processes hits both alike.

3. ``--schedule``: the default `i2i stylize` (coarse-to-fine schedule, ``--amp auto``) against the old
   default (one scale, 300 L-BFGS iterations, float32) on a real content/style pair with the real VGG:
   wall time of each and its style score, the Gram loss sum_l mean((G_l(x) - A_l)^2) of the final image
   against the style (style resized to the output's long side), computed in float32 with the same VGG.
   Lower is better. Images go to ``--out``.

Gatys rows show float32 and ``--amp auto`` (bf16 autocast + channels_last on CPUs with AMX/AVX512-BF16)
side by side; fast style shows onnxruntime fp32, the default runtime (OpenVINO bf16 where it applies) and
torch eager.

    python benchmarks/stylize.py                      # 256 and 512
    python benchmarks/stylize.py --sizes 256 --iters 3
    python benchmarks/stylize.py --skip-fast --skip-gatys --schedule --size 512
    python benchmarks/stylize.py --skip-fast --skip-gatys --realtime --iters 20   # 640x360 frames/s

4. ``--realtime``: frames/s at 640x360 of the first starry layout (ngf 32) and the shipped one (ngf 16)
   through the default runtime, against issue 42's bar of 10 frames/s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def gatys_seconds_per_100(long_side: int, iters: int, amp_mode: str = "none") -> float:
    from i2i.amp import resolve_amp
    from i2i.features.vgg import VGGFeatures
    from i2i.optimize.neural_style import NeuralStyleConfig, stylize

    config = NeuralStyleConfig(scales=(long_side,), iterations=iters + 1)
    amp = resolve_amp(amp_mode, "cpu")
    torch.manual_seed(0)
    features = amp.module(VGGFeatures("vgg16", config.taps))
    content = torch.rand(3, long_side * 3 // 4, long_side)
    style = torch.rand(3, long_side * 5 // 8, long_side)
    stamps: list[float] = []
    stylize(
        features, content, [style], config, on_step=lambda info: stamps.append(time.perf_counter()), amp=amp
    )
    return (stamps[-1] - stamps[0]) / iters * 100  # the first step (warm-up, targets) is excluded


def style_score(features: torch.nn.Module, image: torch.Tensor, style: torch.Tensor, layers) -> float:
    """sum_l mean((G_l(image) - A_l)^2) in float32; ``style`` resized to the image's long side."""
    from i2i.losses import style_loss
    from i2i.optimize.neural_style import fit_long_side, resize, style_targets

    side = max(image.shape[-2:])
    targets = style_targets(features, [resize(style, fit_long_side(*style.shape[-2:], side))], [1.0], layers)
    with torch.no_grad():
        return float(style_loss(features(image.unsqueeze(0)), targets, dict.fromkeys(layers, 1.0)))


def compare_schedules(
    content_path: Path,
    style_path: Path,
    size: int,
    baseline_iters: int,
    out: Path,
    iterations: tuple[int, ...] | None = None,
) -> None:
    """Old default (size x baseline_iters, float32) vs the default schedule with --amp auto
    (``iterations``: try other per-scale counts on the default scales)."""
    from i2i.amp import resolve_amp
    from i2i.features.vgg import load_vgg
    from i2i.imageio import from_float_chw, write_image_atomic
    from i2i.optimize.neural_style import NeuralStyleConfig, default_schedule, stylize
    from i2i.optimize.stylize_run import load_tensor

    base = NeuralStyleConfig()
    features = load_vgg("vgg19", base.taps, log=lambda m: print(f"weights: {m}"))
    content, style = load_tensor(content_path), load_tensor(style_path)
    layers = list(base.layer_weights)
    scales, default_iterations = default_schedule(size)
    iterations = iterations or default_iterations
    runs = {  # the new default first: its numbers arrive before the long float32 run
        "new default: "
        + " + ".join(f"{s} px x {n}" for s, n in zip(scales, iterations, strict=True))
        + ", --amp auto": (NeuralStyleConfig(scales=scales, iterations=iterations), "auto"),
        f"old default: {size} px x {baseline_iters}, float32": (
            NeuralStyleConfig(scales=(size,), iterations=baseline_iters),
            "none",
        ),
    }
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, (name, (config, amp_mode)) in enumerate(runs.items()):
        amp = resolve_amp(amp_mode, "cpu")
        net = amp.module(features)
        total = config.total_iterations
        start = time.perf_counter()

        def on_step(info, start=start, total=total) -> None:
            if info.step % max(1, total // 10) == 0:
                print(
                    f"  {info.step}/{total} at {info.size} px: style {info.losses['style']:.4g} "
                    f"{time.perf_counter() - start:.0f} s",
                    flush=True,
                )

        print(f"{name} ({amp.mode})", flush=True)
        result = stylize(net, content, [style], config, on_step=on_step, amp=amp)
        seconds = time.perf_counter() - start
        features.to(memory_format=torch.contiguous_format)
        score = style_score(features, result.image, style, layers)
        write_image_atomic(from_float_chw(result.image.numpy()), out / f"run{index}.png", overwrite=True)
        rows.append((name, amp.mode, seconds, score))
        print(f"  -> {seconds:.0f} s, style score {score:.4g}", flush=True)
    print(f"\n{'run':<58}{'amp':>6}{'seconds':>9}{'style score':>13}")
    for name, mode, seconds, score in rows:
        print(f"{name:<58}{mode:>6}{seconds:>9.0f}{score:>13.4g}")
    print(f"new / old: time {rows[0][2] / rows[1][2]:.2f}x, style score {rows[0][3] / rows[1][3]:.2f}x")


def fast_style_rates(
    long_side: int, iters: int, arch: dict | None = None, frame: tuple[int, int] | None = None
) -> tuple[dict[str, float], str]:
    """images/s of onnxruntime fp32, the default runtime (``open_session`` auto) and torch eager, for the
    Johnson network with ``arch`` keyword arguments (default: its defaults) on a 4:3 image of ``long_side``
    or on a ``frame`` of (width, height)."""
    from i2i import checkpoint
    from i2i.export import export_generator
    from i2i.export.wrapper import ExportWrapper, inference_copy
    from i2i.nn import build_generator
    from i2i.runtime import TranslatorSession
    from i2i.runtime.engine import describe_session, open_session
    from i2i.specs import ArchSpec

    torch.manual_seed(0)
    net = build_generator("johnson", **(arch or {})).eval()
    header = checkpoint.make_header(ArchSpec("johnson", arch or {}), net, task="fast_style", name="bench")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "johnson.onnx"
        export_generator(net, header.to_json(), path, value_range=(-1.0, 1.0), multiple=4)
        session = TranslatorSession(path, device="auto")
        default = open_session(path)
        eager = ExportWrapper(inference_copy(net), (-1.0, 1.0)).eval()
        w, h = frame or (long_side, long_side * 3 // 4 // 4 * 4)
        image = np.random.default_rng(0).random((1, 3, h, w), dtype=np.float32)
        x = torch.from_numpy(image)

        def torch_fn() -> None:
            with torch.inference_mode():
                eager(x)

        fns = {"ort_fp32": lambda: session(image), "default": lambda: default(image), "torch": torch_fn}
        for fn in fns.values():
            fn()  # warm-up
        totals = dict.fromkeys(fns, 0.0)
        for _ in range(iters):  # interleaved: outside load hits all alike
            for name, fn in fns.items():
                t = time.perf_counter()
                fn()
                totals[name] += time.perf_counter() - t
        return {name: iters / t for name, t in totals.items()}, describe_session(default)


#: The fast-style layouts compared by ``--realtime``: the first shipped starry model's (ngf 32) and the light
#: one (ngf 16: a quarter of the residual stage's multiply-adds), both with the encoder-only norm and pad 8.
REALTIME_LAYOUTS = {f"ngf {n}": {"ngf": n, "norm": "encoder", "pad": 8} for n in (32, 16)}
#: The issue's real-time bar: frames/s at 640x360 (issue 42).
REALTIME_FPS = 10.0


def realtime(iters: int) -> None:
    """Frames/s of each :data:`REALTIME_LAYOUTS` network on a 640x360 frame, side by side."""
    frame = (640, 360)
    rows = {name: fast_style_rates(0, iters, arch, frame) for name, arch in REALTIME_LAYOUTS.items()}
    base = rows["ngf 32"][0]
    for name, (rates, default) in rows.items():
        verdict = "real time" if rates["default"] >= REALTIME_FPS else f"below {REALTIME_FPS:g} frames/s"
        print(
            f"fast style 640x360, {name}: default {rates['default']:6.2f} frames/s [{default}] = "
            f"{rates['default'] / base['default']:.2f}x ngf 32 ({verdict}); onnxruntime fp32 "
            f"{rates['ort_fp32']:6.2f}, torch eager {rates['torch']:6.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="256,512", help="long sides, comma-separated")
    parser.add_argument("--iters", type=int, default=5, help="timed iterations / images per size")
    parser.add_argument("--skip-gatys", action="store_true")
    parser.add_argument("--skip-fast", action="store_true")
    parser.add_argument("--schedule", action="store_true", help="compare the default stylize schedules")
    parser.add_argument("--size", type=int, default=512, help="--schedule: output long side")
    parser.add_argument("--baseline-iters", type=int, default=300, help="--schedule: old default iterations")
    parser.add_argument("--content", type=Path, default=SHARED / "content" / "tubingen.jpg")
    parser.add_argument("--style", type=Path, default=SHARED / "style" / "starry_night.jpg")
    parser.add_argument("--out", type=Path, default=Path("stylize-bench"), help="--schedule: images")
    parser.add_argument(
        "--realtime", action="store_true", help="fast style at 640x360: ngf 32 vs the shipped width, ngf 16"
    )
    parser.add_argument(
        "--schedule-iters", default=None, help="--schedule: try these per-scale counts, e.g. 150,100"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from i2i.accel import describe_cpu
    from i2i.amp import resolve_amp

    auto = resolve_amp("auto", "cpu").mode
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; {describe_cpu()}; --amp auto = {auto}"
    )
    if not args.skip_gatys:
        for side in sizes:
            fp32 = gatys_seconds_per_100(side, args.iters, "none")
            fast = gatys_seconds_per_100(side, args.iters, "auto")
            print(
                f"gatys L-BFGS  {side}x{side * 3 // 4}: float32 {fp32:8.1f} s / 100 iterations, --amp auto "
                f"({auto}) {fast:8.1f} s = {fp32 / fast:.2f}x (over {args.iters})",
                flush=True,
            )
    if not args.skip_fast:
        for side in sizes:
            rates, default = fast_style_rates(side, args.iters)
            shape = f"{side}x{side * 3 // 4 // 4 * 4}"
            print(
                f"fast style    {shape}: onnxruntime fp32 {rates['ort_fp32']:6.2f} img/s, default "
                f"{rates['default']:6.2f} img/s = {rates['default'] / rates['ort_fp32']:.2f}x [{default}], "
                f"torch eager {rates['torch']:6.2f} img/s",
                flush=True,
            )
    if args.realtime:
        realtime(args.iters)
    if args.schedule:
        counts = tuple(int(n) for n in args.schedule_iters.split(",")) if args.schedule_iters else None
        compare_schedules(args.content, args.style, args.size, args.baseline_iters, args.out, counts)


if __name__ == "__main__":
    main()
