"""CUT, FastCUT and CycleGAN side by side at equal wall-clock on an unpaired dataset (apple2orange): training
speed and KID to the real target domain on a held-back share of trainA/trainB that training never sees.

Each recipe trains its own run for ``--minutes`` of wall-clock time (same seed, same crops and widths), in
``--rounds`` interleaved chunks (each recipe resumes its run in turn, exactly, so a change in the machine's
load falls on all of them) with ``--holdout`` (default 0.1: each of trainA/ and trainB/ loses the files
chosen by name hash, :mod:`i2i.data.holdout`). Its A -> B generator is then exported to ONNX and scored as
``i2i eval model --holdout 0.1`` does (:func:`i2i.eval.unpaired.eval_unpaired`): the held-back A images are
translated at their full size and compared with the held-back B images by KID and FID (Inception pool3),
next to the same scores for the untranslated A images (a model must beat doing nothing: KID ratio < 1).
The held-back file lists are checked against each run's config.json and written to ``unpaired.json``.

it/s counts optimizer steps per second of training (the harness's logged step times, so setup, the export
and the evaluation are not in it). On a shared CPU the numbers move with the load: compare within one run.
On an oversubscribed CPU pass ``--threads 1``: with more runnable processes than cores, torch's two OpenMP
threads wait on each other at every op (measured here at load ~10 on 2 cores: FastCUT at 64 px, ngf 8,
took 2-11 s per step with 2 threads and 0.13 s with 1).

    python benchmarks/unpaired.py --data /work/shared/data/apple2orange --minutes 2 --image-size 64 --ngf 8 \
        --ndf 8 --threads 1
    python benchmarks/unpaired.py --data apple2orange --minutes 60 --load-size 286 --crop-size 128 --ngf 32
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from i2i.data.holdout import holdout_files
from i2i.data.resolve import resolve_dataset
from i2i.eval.unpaired import eval_unpaired
from i2i.export import export_checkpoint
from i2i.imageio import list_images
from i2i.train import cut, cyclegan
from i2i.train.rundir import read_jsonl

RECIPES = ("cyclegan", "cut", "fastcut")


def config_for(recipe: str, args: argparse.Namespace, out: Path, minutes: float) -> Any:
    """The run config of ``recipe`` with the shared benchmark options (everything else: recipe defaults)."""
    common: dict[str, Any] = {
        "data": str(args.data),
        "out": str(out),
        "max_minutes": minutes,
        "holdout": args.holdout,
        "netG": args.netG,
        "ngf": args.ngf,
        "ndf": args.ndf,
        "workers": args.workers,
        "seed": args.seed,
        "device": args.device,
        "log_every": 10,
        "sample_every": 10**9,  # one grid at the start and one at the end
        "state_every": 10**9,
        "ema": args.ema,
    }
    sizes = {"image_size": args.image_size, "load_size": args.load_size, "crop_size": args.crop_size}
    common |= {k: v for k, v in sizes.items() if v is not None}
    if recipe == "cyclegan":
        return cyclegan.CycleGANConfig(**common)
    return cut.CUTConfig(**common, fast=recipe == "fastcut")


def step_rate(run: Path) -> float:
    """Optimizer steps per second of stepping: the harness's logged step times, weighted by the steps
    each record covers (the steps after the last record are left out)."""
    seconds, last = 0.0, 0
    for record in read_jsonl(run / "train_log.jsonl"):
        if record.get("kind") == "train" and "step_time" in record:
            seconds += (record["step"] - last) * record["step_time"]
            last = record["step"]
    return last / seconds if seconds else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="apple2orange", help="catalog name or folder with trainA/, trainB/")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--minutes", type=float, default=2.0, help="training wall-clock per recipe")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved resumed chunks per recipe")
    parser.add_argument("--holdout", type=float, default=0.1)
    parser.add_argument("--image-size", type=int, default=None, help="crop N, load N*286/256")
    parser.add_argument("--load-size", type=int, default=None)
    parser.add_argument("--crop-size", type=int, default=None)
    parser.add_argument("--netG", default="resnet_9blocks")
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--ema", type=float, default=None)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch and onnxruntime threads")
    parser.add_argument("--out", type=Path, default=None, help="runs and unpaired.json [a temporary folder]")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    args.data = resolve_dataset(args.data, fetch=False)
    out = args.out or Path(tempfile.mkdtemp(prefix="i2i-unpaired-"))
    held = {
        d: [p.name for p in holdout_files(list_images(args.data / d)[0], args.holdout)]
        for d in ("trainA", "trainB")
    }
    print(
        f"{args.data}: held back {len(held['trainA'])} trainA and {len(held['trainB'])} trainB images "
        f"({args.holdout:g} by name hash); {args.minutes:g} min per recipe; "
        f"torch threads {torch.get_num_threads()}"
    )
    modules = {"cyclegan": cyclegan, "cut": cut, "fastcut": cut}
    results, walls = {}, dict.fromkeys(args.recipes, 0.0)
    chunk = args.minutes / args.rounds
    for index in range(args.rounds):  # interleaved chunks: load changes hit every recipe alike
        for recipe in args.recipes:
            run, module = out / recipe, modules[recipe]
            start = time.perf_counter()
            if index == 0:
                results[recipe] = module.train(config_for(recipe, args, run, chunk), run_dir=run)
            else:
                cfg = module.load_config(run, max_minutes=chunk)
                results[recipe] = module.train(cfg, run_dir=run, resume=True)
            walls[recipe] += time.perf_counter() - start
    rows = []
    for recipe in args.recipes:
        run, result = out / recipe, results[recipe]
        recorded = json.loads((run / "config.json").read_text())["held_out"]
        if recorded != held:
            raise SystemExit(f"{recipe}: held-back files in config.json differ from the benchmark's list")
        generator = result.checkpoint  # the A -> B generator (CycleGAN's first of two)
        onnx = export_checkpoint(generator, run / f"{recipe}.onnx", overwrite=True).path
        scores = eval_unpaired(str(onnx), str(args.data), holdout=args.holdout, threads=args.threads)
        rows.append(
            {
                "recipe": recipe,
                "steps": result.step,
                "wall_seconds": walls[recipe],
                "it_per_s": step_rate(run),
                "kid": scores.kid_mean,
                "kid_std": scores.kid_std,
                "fid": scores.fid,
                "untranslated_kid": scores.untranslated_kid,
                "kid_ratio": scores.kid_ratio,
                "checkerboard": scores.checkerboard,
                "eval_images": [scores.fake_count, scores.real_count],
                "checkpoint": str(generator),
            }
        )
    head = ("recipe", "steps", "it/s", "KID", "+-", "FID", "KID/untr.", "checker")
    print("\n{:<9} {:>6} {:>7} {:>8} {:>7} {:>7} {:>9} {:>7}".format(*head))
    for r in rows:
        print(
            f"{r['recipe']:<9} {r['steps']:>6} {r['it_per_s']:>7.2f} {r['kid']:>8.4f} {r['kid_std']:>7.4f} "
            f"{r['fid']:>7.1f} {r['kid_ratio']:>9.2f} {r['checkerboard']:>7.2f}"
        )
    if rows:
        r = rows[0]
        fakes, reals = r["eval_images"]
        print(f"untranslated held-back A ({fakes}) vs held-back B ({reals}): KID {r['untranslated_kid']:.4f}")
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "held_out": held, "results": rows}
    (out / "unpaired.json").write_text(json.dumps(report, indent=2))
    print(f"runs, checkpoints and unpaired.json (with the held-back file names) in {out}")


if __name__ == "__main__":
    main()
