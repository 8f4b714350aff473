"""Translate throughput, side by side in one run: torch eager (fp32, bf16) vs onnxruntime vs OpenVINO
(fp32, bf16) vs the default path, and folder-run efficiency.

For each architecture and size, on the same (randomly initialised, full-width) generator and the same
images, batch 1:

- torch eager images/s (the exported module itself: [0,1] wrapper, BN->IN, no dropout; inference mode),
  float32 and bf16 (autocast + channels_last; only where --amp auto picks bf16, or with --torch-bf16),
- onnxruntime fp32 images/s on the bare session (arrays already in memory),
- onnxruntime fp16 images/s when a GPU provider is in use,
- OpenVINO fp32 and bf16 images/s (CPU; the same .onnx file; bf16 where the CPU has AMX/AVX512-BF16),
- the default path: what `i2i translate` opens with --runtime auto --precision auto (gate included),
- folder run images/s with the default session (`translate_jobs`: decode PNG, pad, infer, crop, encode
  PNG, atomic write, threads) and its efficiency = folder / bare default session (target >= 85%).

Everything is timed interleaved, image by image, so load from other processes hits all alike.
Each row also prints the convolution work per image (multiply-accumulates counted from the layers) as
GFLOP/s for both runtimes and as a share of this machine's float32 GEMM rate (a 2048^3 matmul measured
at the start): the ceiling that any fp32 runtime's convolutions approach, so how far a speed-up can go.

    python benchmarks/translate.py                       # resnet_9blocks, unet_256 at 256 and 512
    python benchmarks/translate.py --sizes 256 --iters 3 # quicker
    python benchmarks/translate.py --shipped --iters 3   # the shipped models on their bundled samples
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from i2i import checkpoint as ckpt
from i2i.accel import cpu_has_fast_bf16, describe_cpu
from i2i.export import ExportWrapper, export_generator, inference_copy
from i2i.export.verify import smooth_image
from i2i.imageio import pad_to_multiple
from i2i.nn import build_generator, size_multiple
from i2i.runtime import TranslateOptions, TranslatorSession, collect_sources, plan_jobs, translate_jobs
from i2i.runtime.engine import describe_session, open_session
from i2i.sessions.openvino_session import OpenVINOSession, openvino_available
from i2i.specs import ArchSpec


def _export(arch: str, ngf: int, tmp: Path, fp16: bool) -> tuple[torch.nn.Module, dict[str, Path]]:
    torch.manual_seed(0)
    module = build_generator(arch, ngf=ngf)
    header = ckpt.make_header(ArchSpec(arch, {"ngf": ngf}), module, task="benchmark", name=arch)
    paths = {}
    for precision in ("fp32", "fp16") if fp16 else ("fp32",):
        path = tmp / f"{arch}.{precision}.onnx"
        export_generator(
            module,
            header.to_json(),
            path,
            value_range=header.io.value_range,
            multiple=size_multiple(module),
            fp16=precision == "fp16",
        )
        paths[precision] = path
    return module, paths


def conv_macs(module: torch.nn.Module, size: int) -> int:
    """Multiply-accumulates of the Conv2d/ConvTranspose2d layers for one (1, 3, size, size) image."""
    total = 0

    def hook(layer: torch.nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        kernel = layer.weight.shape[2] * layer.weight.shape[3]
        if isinstance(layer, torch.nn.ConvTranspose2d):  # every input pixel meets every kernel tap
            total += inputs[0].numel() * layer.out_channels // layer.groups * kernel
        else:
            total += out.numel() * layer.in_channels // layer.groups * kernel

    handles = [
        m.register_forward_hook(hook)
        for m in module.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
    ]
    with torch.inference_mode():
        module(torch.zeros(1, 3, size, size))
    for handle in handles:
        handle.remove()
    return total


def gemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matmul rate (best of ``repeats``): a practical peak for dense convolutions."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _rate(times: list[float]) -> float:
    return len(times) / sum(times)


def _time_interleaved(fns: dict[str, object], images: list[np.ndarray], warmup: int) -> dict[str, float]:
    for fn in fns.values():
        for img in images[:warmup]:
            fn(img[None])
    times: dict[str, list[float]] = {name: [] for name in fns}
    for img in images:
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(img[None])
            times[name].append(time.perf_counter() - start)
    return {name: _rate(t) for name, t in times.items()}


def _folder_rate(session, images: list[np.ndarray], tmp: Path, workers: int) -> float:
    src, out = tmp / "in", tmp / "out"
    src.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(images):
        u8 = np.rint(img.transpose(1, 2, 0) * 255).astype(np.uint8)
        Image.fromarray(u8).save(src / f"{i:04d}.png")
    sources, _ = collect_sources([str(src)])
    jobs, _ = plan_jobs(sources, out, "png")
    options = TranslateOptions(batch=1, overwrite=True, workers=workers)
    translate_jobs(session, jobs[:1], multiple=session.info.size_multiple, options=options)  # warm-up
    summary = translate_jobs(session, jobs, multiple=session.info.size_multiple, options=options)
    assert not summary.failures, summary.failures
    return summary.images_per_second


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archs", nargs="+", default=["resnet_9blocks", "unet_256"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[256, 512])
    parser.add_argument("--iters", type=int, default=8, help="timed images per measurement")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--device", default="auto", help="onnxruntime device: auto | cpu | cuda | tensorrt")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--workers", type=int, default=2, help="folder run decode/encode threads")
    parser.add_argument("--torch-bf16", action="store_true", help="time torch bf16 even without bf16 units")
    parser.add_argument(
        "--shipped", action="store_true", help="time the shipped models (onnxruntime fp32 vs default) instead"
    )
    args = parser.parse_args()
    if args.shipped:
        shipped(args)
        return

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; {describe_cpu()}; batch 1; "
        f"{args.iters} images each"
    )
    peak = gemm_gflops()
    print(f"float32 GEMM (2048^3, torch): {peak:.0f} GFLOP/s")
    bf16 = args.torch_bf16 or cpu_has_fast_bf16()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for arch in args.archs:
            gpu = args.device != "cpu" and _has_gpu(args.device)
            module, paths = _export(arch, args.ngf, tmp, fp16=gpu)
            eager = ExportWrapper(inference_copy(module)).eval()
            sessions = {
                p: TranslatorSession(path, args.device, args.threads, precision=p)
                for p, path in paths.items()
            }
            provider = sessions["fp32"].provider
            fns: dict[str, object] = {"torch": _torch_fn(eager, None)}
            if bf16:
                fns["torch_bf16"] = _torch_fn(eager, torch.bfloat16)
            fns.update({f"ort_{p}": s for p, s in sessions.items()})
            if openvino_available():
                fns["ov_fp32"] = OpenVINOSession(paths["fp32"], "fp32", args.threads)
                if bf16:
                    fns["ov_bf16"] = OpenVINOSession(paths["fp32"], "bf16", args.threads)
            default = open_session(paths["fp32"], device=args.device, threads=args.threads, log=print)
            fns["default"] = default
            for size in args.sizes:
                rng = np.random.default_rng(size)
                images = [smooth_image(3, size, size, rng) for _ in range(args.iters)]
                rates = _time_interleaved(fns, images, args.warmup)
                folder = _folder_rate(default, images, tmp / f"{arch}_{size}", args.workers)
                gflop = 2 * conv_macs(eager, size) / 1e9
                _print_row(arch, size, provider, rates, folder, gflop, peak, describe_session(default))


def shipped(args: argparse.Namespace) -> None:
    """Each shipped model on its first bundled sample (long side 256): onnxruntime fp32 vs the default
    path, interleaved, and the PSNR of the default path's output against onnxruntime fp32."""
    from i2i.runtime.gate import psnr, sample_inputs
    from i2i.zoo import load_zoo, samples_dir

    print(f"{describe_cpu()}; {args.iters} images each, batch 1")
    for entry in load_zoo().shipped.values():
        if not entry.samples:
            continue
        ort = TranslatorSession(entry.path, "cpu", args.threads)
        default = open_session(entry.path, device=args.device, threads=args.threads, log=print)
        (image,) = sample_inputs(samples_dir() / entry.samples, ort.info.io.in_channels, count=1)
        padded, _ = pad_to_multiple(image, ort.info.size_multiple)
        images = [padded] * args.iters
        rates = _time_interleaved({"ort_fp32": ort, "default": default}, images, args.warmup)
        db = psnr(ort(padded[None]), default(padded[None]))
        print(
            f"{entry.name:22s} {padded.shape[2]}x{padded.shape[1]}: "
            f"onnxruntime fp32 {rates['ort_fp32']:6.2f} "
            f"img/s, default {rates['default']:6.2f} img/s = {rates['default'] / rates['ort_fp32']:.2f}x, "
            f"PSNR {db:.1f} dB [{describe_session(default)}]",
            flush=True,
        )


def _torch_fn(eager: torch.nn.Module, dtype: torch.dtype | None):
    """Torch eager inference: float32, or ``dtype`` autocast with channels_last."""
    model = eager if dtype is None else copy.deepcopy(eager).to(memory_format=torch.channels_last)

    def run(x: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(x)
        with torch.inference_mode():
            if dtype is None:
                return model(t).numpy()
            with torch.autocast("cpu", dtype=dtype):
                return model(t.contiguous(memory_format=torch.channels_last)).float().numpy()

    return run


def _has_gpu(device: str) -> bool:
    from i2i.sessions.providers import CPU, requested_providers

    return any(name != CPU for name, _ in requested_providers(device))


def _print_row(
    arch: str,
    size: int,
    provider: str,
    rates: dict[str, float],
    folder: float,
    gflop: float,
    peak: float,
    default: str,
) -> None:
    ort32 = rates["ort_fp32"]
    names = {
        "torch": "torch eager fp32",
        "torch_bf16": "torch eager bf16",
        "ort_fp32": f"onnxruntime fp32 ({provider})",
        "ort_fp16": "onnxruntime fp16",
        "ov_fp32": "openvino fp32",
        "ov_bf16": "openvino bf16",
        "default": "default path",
    }
    print(f"{arch} {size}px:", flush=True)
    for key, label in names.items():
        if key in rates:
            print(f"  {label:30s} {rates[key]:7.2f} img/s = {rates[key] / ort32:5.2f}x ort fp32", flush=True)
    print(f"  default path = {default}")
    if "torch_bf16" in rates:
        print(f"  default / torch eager bf16: {rates['default'] / rates['torch_bf16']:.2f}x")
    print(
        f"  folder run {folder:7.2f} img/s = {100 * folder / rates['default']:.0f}% "
        "of the bare default session"
    )
    if provider == "cpu":
        torch_rate, ort_rate = gflop * rates["torch"], gflop * ort32
        print(
            f"  conv work {gflop:.1f} GFLOP/image: torch fp32 {torch_rate:.0f} GFLOP/s "
            f"({100 * torch_rate / peak:.0f}% of fp32 GEMM), ort fp32 {ort_rate:.0f} GFLOP/s "
            f"({100 * ort_rate / peak:.0f}% of fp32 GEMM)",
            flush=True,
        )


if __name__ == "__main__":
    main()
