"""Ray Data translate vs the single-process pipeline on the same folder, in one run (torch-free).

Writes ``--images`` PNGs of ``--size`` pixels (smooth random colour fields), then times, alternately for
``--repeats`` rounds:

- single process: ``translate_jobs`` with one onnxruntime session (all cores), decode/encode threads,
- Ray: ``run_ray_plan`` on a local Ray runtime (``--cpus`` CPUs, 127.0.0.1, no dashboard), one-CPU actors.

Both write PNGs with ``overwrite``. The Ray time of a run includes starting its actor pool (Ray Data makes
one per run), not starting the runtime, which is reported once on its own. Prints images/s for both and
the overhead ratio single / Ray (> 1: Ray is slower). On a machine with more cores than one process can
use, or on a cluster, Ray is the one that scales; this measures what it costs where it cannot.

    python benchmarks/translate_ray.py                          # apple2orange, 24 images at 256 px
    python benchmarks/translate_ray.py --model starry --images 48 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from i2i.runtime import TranslateOptions, TranslatorSession, collect_sources, plan_jobs, resolve_model
from i2i.runtime.pipeline import translate_jobs
from i2i.runtime.ray_translate import plan_ray_jobs, ray_runtime, run_ray_plan


def _images(folder: Path, count: int, size: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        image = Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC)
        image.save(folder / f"{i:04d}.png")


def _single(session: TranslatorSession, src: Path, out: Path, workers: int) -> float:
    sources, _ = collect_sources([str(src)])
    jobs, _ = plan_jobs(sources, out, "png")
    options = TranslateOptions(overwrite=True, workers=workers)
    start = time.perf_counter()
    summary = translate_jobs(session, jobs, multiple=session.info.size_multiple, options=options)
    seconds = time.perf_counter() - start
    assert not summary.failures, summary.failures
    return len(jobs) / seconds


def _ray(model: Path, session: TranslatorSession, src: Path, out: Path, actors: int | None) -> float:
    plan = plan_ray_jobs([str(src)], str(out), "png")
    start = time.perf_counter()
    summary = run_ray_plan(
        plan,
        model,
        multiple=session.info.size_multiple,
        options=TranslateOptions(overwrite=True),
        device="cpu",
        actors=actors,
    )
    seconds = time.perf_counter() - start
    assert not summary.failures, summary.failures
    return len(plan.jobs) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="apple2orange", help="model name or .onnx file")
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1, help="local Ray runtime CPUs")
    parser.add_argument("--actors", type=int, default=None, help="Ray actor pool limit (default: --cpus)")
    parser.add_argument("--workers", type=int, default=2, help="single-process decode/encode threads")
    args = parser.parse_args()

    model = resolve_model(args.model)
    session = TranslatorSession(model, device="cpu")
    print(f"model {model.name}: {session.info.describe()}; {args.images} images of {args.size} px, PNG")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        src = tmp / "in"
        _images(src, args.images, args.size)
        _single(session, src, tmp / "warm", args.workers)  # page cache and session warm-up
        start = time.perf_counter()
        with ray_runtime("local", num_cpus=args.cpus) as ray:
            started = time.perf_counter() - start
            print(f"Ray {ray.__version__}: local runtime with {args.cpus} CPUs started in {started:.1f} s")
            single, on_ray = [], []
            for r in range(args.repeats):
                single.append(_single(session, src, tmp / "single", args.workers))
                on_ray.append(_ray(model, session, src, tmp / "ray", args.actors))
                print(f"round {r + 1}: single {single[-1]:.2f} img/s, Ray {on_ray[-1]:.2f} img/s")
    s, r = statistics.median(single), statistics.median(on_ray)
    print(f"median: single process {s:.2f} img/s, Ray local {r:.2f} img/s, overhead ratio {s / r:.2f}x")


if __name__ == "__main__":
    main()
