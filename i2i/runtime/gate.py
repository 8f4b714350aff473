"""The reduced-precision quality gate: does this model still look right in bf16 / fp16 here? (torch-free)

The first time a model would run at reduced precision on a machine, it translates a few images at float32
and at the reduced precision with the same runtime, and passes when the outputs agree to
PSNR >= :data:`MIN_PSNR_DB` (on [0, 1] images). The images are the model's bundled samples when the model
is a registered one that names them (``samples = "apples"``), else :func:`synthetic_inputs`. The verdict
is cached per (model sha256, runtime and version, precision, CPU or GPU) in the user cache folder
(:func:`i2i.zoo.paths.precision_gate_cache_path`), so later runs start at once. A verdict measured on
synthetic images is measured again once the same file is registered with samples (a model run by its path
before it shipped): the two can disagree by 20 dB, and the samples are what the model is made for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from i2i.files import read_json_cache, write_json_cache
from i2i.imageio import pad_to_multiple, read_image
from i2i.modelfile import ModelInfo

MIN_PSNR_DB = 40.0
#: Long side of the gate's images, and how many of them it uses.
GATE_SIDE = 256
GATE_IMAGES = 2

#: float32 (N, C, H, W) in [0, 1] -> same shape in [0, 1].
Infer = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Verdict:
    """``passed``: PSNR >= MIN_PSNR_DB; ``psnr``: dB of reduced vs fp32 output (inf when identical);
    ``inputs``: what was compared ('samples apples' or 'synthetic'); ``cached``: read from the cache."""

    passed: bool
    psnr: float
    inputs: str
    cached: bool = False

    def describe(self, precision: str) -> str:
        sign = ">=" if self.passed else "<"
        return f"{precision} vs fp32 on {self.inputs}: PSNR {self.psnr:.1f} dB {sign} {MIN_PSNR_DB:g}"


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two arrays in [0, 1] (inf when equal)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def synthetic_inputs(channels: int, count: int = GATE_IMAGES, side: int = GATE_SIDE) -> list[np.ndarray]:
    """``count`` fixed smooth colour images, float32 (channels, side, side) in [0, 1] (seeded: identical
    on every machine): random 6x6 fields upsampled bicubically plus a diagonal ramp, so they have edges,
    gradients and flat areas like photos do."""
    rng = np.random.default_rng(1234)
    out = []
    for i in range(count):
        small = (rng.random((6, 6, 3)) * 255).astype(np.uint8)
        field = np.asarray(Image.fromarray(small).resize((side, side), Image.Resampling.BICUBIC), np.float32)
        ramp = np.linspace(0, 1, side, dtype=np.float32)
        img = 0.8 * field.transpose(2, 0, 1) / 255.0 + 0.2 * ((ramp[None, :] + ramp[:, None]) / 2)[None]
        img = np.clip(img if i % 2 == 0 else img[:, ::-1, :], 0, 1)
        out.append(np.ascontiguousarray(img[:channels] if channels <= 3 else np.repeat(img[:1], channels, 0)))
    return out


def sample_inputs(folder: Path, channels: int, count: int = GATE_IMAGES, side: int = GATE_SIDE):
    """Up to ``count`` images of ``folder`` (sorted), long side ``side``, float32 (C, H, W) in [0, 1]."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return image_inputs(files[:count], channels, side)


def image_inputs(paths: list[Path], channels: int, side: int = GATE_SIDE) -> list[np.ndarray]:
    """The readable images of ``paths`` scaled to long side ``side``, float32 (channels, H, W) in [0, 1]
    (RGB, or its luma for one channel); unreadable files are skipped."""
    out: list[np.ndarray] = []
    for path in paths:
        try:
            img = read_image(path)
        except Exception:  # a bad sample must not stop a run: the gate uses the others or synthetic ones
            continue
        scale = side / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
        arr = np.asarray(img, np.float32).transpose(2, 0, 1) / 255.0
        if channels == 1:
            arr = (0.299 * arr[0] + 0.587 * arr[1] + 0.114 * arr[2])[None]
        out.append(np.ascontiguousarray(arr, dtype=np.float32))
    return out


def bundled_samples(sha256: str) -> tuple[str, Path] | None:
    """(samples name, folder) of the registered model with this sha256 that names bundled samples."""
    try:
        from i2i.zoo import load_zoo, samples_dir

        zoo = load_zoo()
    except Exception:  # a broken user registry must not stop translation; synthetic inputs serve
        return None
    for entry in [*zoo.shipped.values(), *zoo.user.values()]:
        if entry.sha256 == sha256 and entry.samples:
            folder = samples_dir() / entry.samples
            if folder.is_dir():
                return entry.samples, folder
    return None


def measure(reference: Infer, reduced: Infer, info: ModelInfo, sha256: str) -> Verdict:
    """Compare ``reduced`` with ``reference`` (float32) on the gate images, one image per call."""
    found = bundled_samples(sha256)
    images = sample_inputs(found[1], info.io.in_channels) if found else []
    label = f"bundled samples '{found[0]}'" if images and found else "synthetic images"
    if not images:
        images = synthetic_inputs(info.io.in_channels)
    worst = math.inf
    for image in images:
        padded, _ = pad_to_multiple(image, info.size_multiple)
        batch = padded[None]
        worst = min(worst, psnr(reference(batch), reduced(batch)))
    return Verdict(worst >= MIN_PSNR_DB, worst, f"{len(images)} {label}")


def cache_key(sha256: str, runtime: str, version: str, precision: str, device: str) -> str:
    return f"{sha256}|{runtime}-{version}|{precision}|{device}"


def cached_verdict(key: str) -> Verdict | None:
    from i2i.zoo.paths import precision_gate_cache_path

    hit = read_json_cache(precision_gate_cache_path()).get(key)
    if not isinstance(hit, dict) or not isinstance(hit.get("passed"), bool):
        return None
    if "synthetic" in str(hit.get("inputs", "")) and bundled_samples(key.split("|", 1)[0]) is not None:
        return None  # measured before the model named its samples: measure on them now
    value = hit.get("psnr")
    db = math.inf if value is None else float(value)
    return Verdict(hit["passed"], db, str(hit.get("inputs", "")), cached=True)


def remember(key: str, verdict: Verdict) -> None:
    from i2i.zoo.paths import precision_gate_cache_path

    path = precision_gate_cache_path()
    data = read_json_cache(path)
    db = None if math.isinf(verdict.psnr) else round(verdict.psnr, 2)
    data[key] = {"passed": verdict.passed, "psnr": db, "inputs": verdict.inputs}
    write_json_cache(path, data)
