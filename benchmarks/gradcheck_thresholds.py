"""The measurements behind the run-start gradient check's limits (:mod:`i2i.train.gradcheck`).

Runs one step of every recipe on synthetic images (32 px crops, ``--ngf``/``--ndf`` as given, random VGG16
weights for fast style) at batch 1 and 2 under bf16 autocast in NCHW and in channels_last, and prints each
comparison the check logs (cosine and relative error per network against float32 NCHW) with the worst
network, then per recipe, precision and batch size the range over seeds of each run's worst network.
Precisions that fail stop their run; their comparisons are printed too.

    python benchmarks/gradcheck_thresholds.py [--width 8] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from rich.console import Console

from i2i.features.vgg import VGGFeatures
from i2i.train import cut, cyclegan, fast_style, harness, pix2pix
from i2i.train.gradcheck import GradCheckFailed
from i2i.train.rundir import read_jsonl


def write_data(root: Path) -> dict[str, Path]:
    """Aligned AB pairs (32 px), unpaired trainA/trainB (40 px), photos and random VGG16 weights."""
    rng = np.random.default_rng(0)
    for i in range(4):
        a = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)
        (root / "ab" / "train").mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.concatenate([a, 255 - a], axis=1)).save(root / "ab" / "train" / f"{i}.png")
    for domain, channel in (("A", 0), ("B", 2)):
        (root / "unpaired" / f"train{domain}").mkdir(parents=True)
        for i in range(4):
            img = rng.integers(0, 96, (40, 40, 3), dtype=np.uint8)
            img[..., channel] += 128
            Image.fromarray(img).save(root / "unpaired" / f"train{domain}" / f"{i}.png")
    (root / "photos").mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(root / "photos" / f"{i}.png")
    torch.manual_seed(0)
    torch.save(VGGFeatures("vgg16", ["relu5_3"]).features.state_dict(), root / "vgg16.pt")
    names = {"ab": "ab", "unpaired": "unpaired", "photos": "photos", "vgg": "vgg16.pt"}
    return {key: root / name for key, name in names.items()}


def config(name: str, data: dict[str, Path], width: int, **options: Any) -> tuple[type, Any]:
    common = {"workers": 0, "device": "cpu", "sample_every": 100, "log_every": 100, **options}
    gan = {"ngf": width, "ndf": width, "load_size": 36, "crop_size": 32, **common}
    if name == "pix2pix (unet)":
        return pix2pix.Pix2Pix, pix2pix.Pix2PixConfig(data=str(data["ab"]), netG="unet", num_downs=5, **gan)
    if name == "pix2pix (resnet_6blocks)":
        return pix2pix.Pix2Pix, pix2pix.Pix2PixConfig(data=str(data["ab"]), netG="resnet_6blocks", **gan)
    if name == "cyclegan":
        cfg = cyclegan.CycleGANConfig(data=str(data["unpaired"]), netG="resnet_6blocks", **gan)
        return cyclegan.CycleGAN, cfg
    if name in ("cut", "fastcut"):
        cfg = cut.CUTConfig(data=str(data["unpaired"]), netG="resnet_6blocks", fast=name == "fastcut", **gan)
        return cut.CUT, cfg
    cfg = fast_style.FastStyleConfig(
        style="starry", data=str(data["photos"]), size=32, style_size=64, ngf=width,
        backbone_weights=str(data["vgg"]), **common,
    )  # fmt: skip
    return fast_style.FastStyle, cfg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    data = write_data(root / "data")
    names = ["pix2pix (unet)", "pix2pix (resnet_6blocks)", "cyclegan", "cut", "fastcut", "style"]
    runs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    n = 0
    for name in names:
        for batch in (1, 2):
            for seed in args.seeds:
                for channels_last in (False, True):
                    n += 1
                    recipe, cfg = config(name, data, args.width, batch_size=batch, seed=seed, max_steps=1,
                                         amp="bf16", channels_last=channels_last)  # fmt: skip
                    try:
                        harness.train(recipe, cfg, run_dir=root / f"run{n}", console=Console(quiet=True))
                        log = read_jsonl(root / f"run{n}" / "train_log.jsonl")
                        records = [r for r in log if r["kind"] == "gradcheck"]
                    except GradCheckFailed as err:  # stopped before its run folder: the comparisons
                        records = [r.record() for r in err.results]
                    for r in records:
                        nets = r["networks"]
                        if not nets:  # float32 NCHW itself: nothing compared
                            continue
                        cos = min(v["cosine"] for v in nets.values())
                        rel = max(v["rel_error"] for v in nets.values())
                        kind = f"{name}, {r['precision']}, batch {batch}"
                        runs[kind].append((cos, rel))
                        detail = ", ".join(
                            f"{k} {v['cosine']:.4f}/{v['rel_error']:.3f}" for k, v in nets.items()
                        )
                        print(f"{name:26} b{batch} seed {seed} {r['precision']:30} worst cos {cos:.4f} "
                              f"rel {rel:.3f}  ({detail})", flush=True)  # fmt: skip
    print("\nthe worst network of each run, range over seeds: cosine, relative error")
    for kind, values in runs.items():
        cos, rel = [v[0] for v in values], [v[1] for v in values]
        print(f"  {kind:70} {min(cos):.4f}..{max(cos):.4f}  {min(rel):.3f}..{max(rel):.3f}")


if __name__ == "__main__":
    main()
