"""int8 vs the other CPU paths, side by side in one run: onnxruntime fp32, OpenVINO fp32, OpenVINO bf16 (the
default CPU path) and OpenVINO int8 (``i2i export --int8``), images/s and ratios, plus quality (PSNR of each
against OpenVINO fp32 on the held-back images) and the CPU features it ran on.

Models: the shipped ones (weights/registry.toml), each calibrated on a folder of its input domain
(``--data``: the shared datasets when present, else its bundled samples), and a full-width resnet_9blocks
(ngf 64, randomly initialised, exported with i2i.export; calibrated on apple photos; its PSNR says nothing
about a trained model's). All variants run the same images, interleaved image by image, batch 1, at
``--side`` px (long side), so load from other processes hits all alike.

``--qdq`` also times NNCF's QDQ ONNX of the resnet (the other int8 file format) through OpenVINO, and
``--profile`` prints OpenVINO's per-layer profile (PERF_COUNT) of the resnet's bf16 and int8 runs grouped
by layer type and kernel: what limits int8.

    python benchmarks/int8.py                      # everything (about 10 minutes on 2 cores)
    python benchmarks/int8.py --models resnet_9blocks --profile --qdq
    python benchmarks/int8.py --models apple2orange --images 8
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from i2i.accel import cpu_info, describe_cpu
from i2i.quantize import calibration_files, quantize_int8, split_images
from i2i.runtime.gate import image_inputs, psnr
from i2i.runtime.int8 import int8_flags
from i2i.sessions.onnxruntime_session import TranslatorSession
from i2i.sessions.openvino_session import OpenVINOSession, openvino_version

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
#: model -> (folder of its inputs under the shared data, crop: 'right' half of side-by-side pairs or None)
DOMAINS = {
    "apple2orange": ("apple2orange/trainA", None),
    "starry": ("apple2orange/trainA", None),
    "orange2apple": ("apple2orange/trainB", None),
    "facades_label2photo": ("facades/val", "right"),
    "resnet_9blocks": ("apple2orange/trainA", None),
}


def calibration_folder(name: str, data: Path, tmp: Path, count: int) -> Path:
    """A folder of ``count`` input-domain images for ``name`` (the right half of facades pairs: labels)."""
    sub, crop = DOMAINS[name]
    source = data / sub
    if not source.is_dir():
        from i2i.zoo.paths import samples_dir

        fallback = {"orange2apple": "oranges", "facades_label2photo": "facades_labels"}.get(name, "apples")
        return samples_dir() / fallback
    folder = tmp / f"calib_{name}"
    folder.mkdir(exist_ok=True)
    for path in sorted(source.iterdir())[:count]:
        img = Image.open(path).convert("RGB")
        if crop == "right":
            img = img.crop((img.width // 2, 0, img.width, img.height))
        img.save(folder / (path.stem + ".png"))
    return folder


def resnet_onnx(tmp: Path) -> Path:
    """A full-width resnet_9blocks (ngf 64, instance norm), randomly initialised, exported by i2i.export."""
    import torch

    from i2i import checkpoint as ckpt
    from i2i.export import export_generator
    from i2i.nn import build_generator
    from i2i.specs import ArchSpec

    torch.manual_seed(0)
    module = build_generator("resnet_9blocks", ngf=64)
    header = ckpt.make_header(ArchSpec("resnet_9blocks", {"ngf": 64}), module, task="cyclegan", name="r9")
    path = tmp / "resnet_9blocks.onnx"
    export_generator(module, header.to_json(), path, value_range=header.io.value_range, multiple=4)
    return path


def qdq_onnx(model: Path, calib: list[np.ndarray], out: Path) -> Path:
    """NNCF's ONNX backend on the same calibration batches: a QDQ ONNX file (same i2i metadata)."""
    import nncf
    import onnx

    source = onnx.load(str(model))
    name = source.graph.input[0].name
    quantized = nncf.quantize(
        source,
        nncf.Dataset(calib, lambda x: {name: x}),
        subset_size=len(calib),
        preset=nncf.QuantizationPreset.MIXED,
    )
    onnx.save(quantized, str(out))
    return out


def interleaved(fns: dict[str, object], images: list[np.ndarray], warmup: int = 1) -> dict[str, float]:
    """images/s of each function (1 / median seconds per image), timed image by image in turn."""
    for fn in fns.values():
        for img in images[:warmup]:
            fn(img)
    times: dict[str, list[float]] = {name: [] for name in fns}
    for img in images:
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(img)
            times[name].append(time.perf_counter() - start)
    return {name: 1.0 / statistics.median(t) for name, t in times.items()}


def profile(session: OpenVINOSession, image: np.ndarray, runs: int = 3) -> dict[tuple[str, str], float]:
    """ms per image by (layer type, kernel) from OpenVINO's PERF_COUNT (a profiling compile)."""
    import openvino as ov

    core = ov.Core()
    config = {"PERF_COUNT": True, "PERFORMANCE_HINT": "LATENCY"}
    config["INFERENCE_PRECISION_HINT"] = session._compiled.get_property("INFERENCE_PRECISION_HINT")
    compiled = core.compile_model(core.read_model(str(session.path)), "CPU", config)
    request = compiled.create_infer_request()
    totals: dict[tuple[str, str], float] = defaultdict(float)
    request.infer({0: image})
    for _ in range(runs):
        request.infer({0: image})
        for info in request.get_profiling_info():
            if info.status == info.Status.EXECUTED:
                totals[(info.node_type, info.exec_type)] += info.real_time.total_seconds() * 1e3 / runs
    return totals


def print_profile(label: str, totals: dict[tuple[str, str], float], top: int = 8) -> None:
    whole = sum(totals.values())
    print(f"  profile {label}: {whole:.0f} ms per image")
    for (node, kernel), ms in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {ms:7.1f} ms {100 * ms / whole:4.0f} %  {node:28s} {kernel}")


def bench(name: str, model: Path, folder: Path, args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    work = tmp / name
    work.mkdir(exist_ok=True)
    local = work / model.name
    shutil.copy(model, local)
    keep = "none" if name == "resnet_9blocks" else args.keep  # random weights: quality is not the point
    start = time.perf_counter()
    result = quantize_int8(local, folder, images=args.calibrate_images, side=args.side, keep=keep)
    quant_s = time.perf_counter() - start
    record = result.record
    info = OpenVINOSession(local, "fp32").info
    _, held = split_images(calibration_files(folder), args.calibrate_images)
    from i2i.imageio import pad_to_multiple

    images = [pad_to_multiple(x, info.size_multiple)[0][None] for x in image_inputs(held, 3, args.side)]
    images = (images * math.ceil(args.images / max(1, len(images))))[: args.images]
    sessions = {
        "ort fp32": TranslatorSession(local, "cpu"),
        "ov fp32": OpenVINOSession(local, "fp32"),
        "ov bf16": OpenVINOSession(local, "bf16"),
        "ov int8": OpenVINOSession(result.path),
    }
    if args.qdq and name == "resnet_9blocks":
        from i2i.runtime.gate import image_inputs as load

        calib_files, _ = split_images(calibration_files(folder), args.calibrate_images)
        calib = [pad_to_multiple(x, 4)[0][None] for x in load(calib_files, 3, args.side)]
        path = qdq_onnx(local, calib, work / "resnet_9blocks.qdq.onnx")
        sessions["ov int8 qdq"] = OpenVINOSession(path, "bf16")
    rates = interleaved({k: s.__call__ for k, s in sessions.items()}, images)
    reference = [sessions["ov fp32"](x) for x in images[: len(held) or 1]]
    quality = {
        k: min(psnr(r, s(x)) for r, x in zip(reference, images, strict=False))
        for k, s in sessions.items()
        if k != "ov fp32"
    }
    base, bf16 = rates["ort fp32"], rates["ov bf16"]
    print(f"\n{name} ({info.arch}, {images[0].shape[3]}x{images[0].shape[2]}, {len(images)} timed images):")
    kept = ", ".join(record.ignored) or "none"
    made = f"{record.quantiser}, {record.calibration_images} calibration images of {folder.name}"
    print(f"  int8 file: {made}, kept: {kept}; quantised in {quant_s:.0f} s; {record.describe()}")
    print(f"  {'path':14s} {'images/s':>9s} {'x ort fp32':>11s} {'x ov bf16':>10s} {'PSNR vs fp32':>13s}")
    for k, rate in rates.items():
        db = "reference" if k == "ov fp32" else f"{quality[k]:.1f} dB"
        print(f"  {k:14s} {rate:9.2f} {rate / base:10.2f}x {rate / bf16:9.2f}x {db:>13s}")
    if args.profile and name == "resnet_9blocks":
        print_profile("ov bf16", profile(sessions["ov bf16"], images[0]))
        print_profile("ov int8", profile(sessions["ov int8"], images[0]))
    return {"name": name, "rates": rates, "quality": quality, "record": record}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models", nargs="+", default=list(DOMAINS), help="shipped names and/or resnet_9blocks"
    )
    parser.add_argument("--data", type=Path, default=SHARED, help="the datasets folder (see DOMAINS)")
    parser.add_argument("--calibrate-images", type=int, default=32, help="calibration images at most")
    parser.add_argument(
        "--folder-images", type=int, default=44, help="images copied into each calibration folder"
    )
    parser.add_argument("--images", type=int, default=8, help="timed images per path")
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--keep", default="auto", help="--int8-keep for the shipped models")
    parser.add_argument("--qdq", action="store_true", help="also time NNCF's QDQ ONNX of the resnet")
    parser.add_argument("--profile", action="store_true", help="per-layer profile of the resnet (bf16, int8)")
    args = parser.parse_args()

    info = cpu_info()
    amx = ", ".join(sorted(f for f in info.flags if f.startswith("amx"))) or "none"
    print(f"CPU: {describe_cpu()}; int8 units: {', '.join(int8_flags()) or 'none'}; AMX flags: {amx}")
    import nncf
    import onnxruntime

    print(f"openvino {openvino_version()}, onnxruntime {onnxruntime.__version__}, nncf {nncf.__version__}")
    from i2i.zoo.paths import weights_dir

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for model_name in args.models:
            folder = calibration_folder(model_name, args.data, tmp, args.folder_images)
            model = (
                resnet_onnx(tmp) if model_name == "resnet_9blocks" else weights_dir() / f"{model_name}.onnx"
            )
            bench(model_name, model, folder, args, tmp)


if __name__ == "__main__":
    main()
