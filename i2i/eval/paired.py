"""Paired evaluation: translate a split of an aligned (pix2pix) dataset with an exported model and compare
every output with its ground truth: L1, PSNR, SSIM (:mod:`i2i.eval.metrics`), LPIPS (:mod:`i2i.eval.lpips`).

Data layout: ``<data>/<split>/*.jpg``, each file the two images side by side, A on the left and B on the
right (the pix2pix archives). The model's own direction (its ONNX metadata) decides which half is the
input: ``BtoA`` (e.g. facades labels -> photo) feeds B and compares with A. Outputs come from the ONNX
runtime (:class:`~i2i.runtime.TranslatorSession`): float32 in [0, 1], compared unquantised with
the ground truth in [0, 1]. Scores are means over images.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from i2i.errors import I2IError
from i2i.eval import metrics
from i2i.eval.record import ScoreRecord
from i2i.imageio import list_images, read_image, to_float_chw

DIRECTIONS = ("AtoB", "BtoA")
SPLIT_PREFERENCE = ("test", "val")


def effective_direction(model_direction: str | None, requested: str | None) -> str:
    """The direction to evaluate: the model's own, else ``requested``, else AtoB.

    Raises:
        I2IError: ``requested`` is not AtoB/BtoA, or contradicts the model's recorded direction.
    """
    if requested is not None and requested not in DIRECTIONS:
        raise I2IError(f"direction must be AtoB or BtoA, got {requested!r}")
    if model_direction in DIRECTIONS:
        if requested is not None and requested != model_direction:
            raise I2IError(
                f"the model translates {model_direction} (its metadata says so); --direction {requested} "
                "contradicts it"
            )
        return str(model_direction)
    return requested or "AtoB"


def find_split(data_dir: Path, split: str | None) -> tuple[str, list[Path]]:
    """(split name, sorted AB image files) of ``data_dir/<split>``; without ``split`` the first of
    test, val that exists.

    Raises:
        I2IError: the split folder is missing (the message lists the ones there) or holds no images.
    """
    present = sorted(p.name for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if split is None:
        split = next((s for s in SPLIT_PREFERENCE if (data_dir / s).is_dir()), None)
        if split is None:
            raise I2IError(f"{data_dir}: no test/ or val/ split (found: {', '.join(present) or 'none'})")
    elif not (data_dir / split).is_dir():
        raise I2IError(f"{data_dir}: no {split}/ split (found: {', '.join(present) or 'none'})")
    files, _ = list_images(data_dir / split)
    if not files:
        raise I2IError(f"{data_dir / split}: no images")
    return split, files


def split_pair(image: Image.Image, path: Path, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """An AB side-by-side image -> (A, B) float32 (3, H, W) in [0, 1]; ``size`` resizes each half to
    ``size`` x ``size`` (bicubic) first."""
    if image.width < 2 or image.width % 2:
        raise I2IError(f"{path}: width {image.width} is not even; expected A|B side by side")
    half = image.width // 2
    a, b = image.crop((0, 0, half, image.height)), image.crop((half, 0, image.width, image.height))
    if size is not None:
        a = a.resize((size, size), Image.Resampling.BICUBIC)
        b = b.resize((size, size), Image.Resampling.BICUBIC)
    return to_float_chw(a), to_float_chw(b)


@dataclass(frozen=True)
class PairedScores(ScoreRecord):
    """Means over ``images`` pairs. L1 in [0, 1] units, PSNR in dB, SSIM in [-1, 1], LPIPS (lower is
    closer; None when skipped); ``checkerboard``: output/input period-2/4 spectral share
    (:mod:`i2i.eval.artifacts`); ``kid``: KID (mean, std) of the outputs against the split's targets
    (None unless asked for)."""

    model: str
    data: str
    split: str
    direction: str
    images: int
    size: str
    l1: float
    psnr: float
    ssim: float
    lpips: float | None
    lpips_net: str | None
    checkerboard: float
    kid: float | None
    kid_std: float | None
    seconds: float


Infer = Callable[[np.ndarray], np.ndarray]


def evaluate_paired(
    infer: Infer,
    files: list[Path],
    *,
    direction: str,
    multiple: int,
    size: int | None = None,
    lpips_model: torch.nn.Module | None = None,
    kid_model: Callable[[torch.Tensor], np.ndarray] | None = None,
    on_image: Callable[[], None] | None = None,
) -> dict[str, float | int | None]:
    """Translate each AB file's input half with ``infer`` and score it against the other half.

    ``infer``: float32 (1, 3, h, w) in [0, 1] (h, w multiples of ``multiple``) -> (1, 3, h, w) in [0, 1].
    ``kid_model``: images (N, 3, H, W) in [0, 1] -> (N, D) features (the FID Inception), for KID of the
    outputs against the targets. Returns ``{"images", "l1", "psnr", "ssim", "lpips", "checkerboard",
    "kid", "kid_std"}`` (means; lpips / kid None without their model).
    """
    from i2i.eval.artifacts import score_pairs
    from i2i.eval.frechet import kid
    from i2i.imageio import from_float_chw
    from i2i.runtime.tiling import translate_whole

    sums = {"l1": 0.0, "psnr": 0.0, "ssim": 0.0, "lpips": 0.0}
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    fake_features, real_features = [], []
    for path in files:
        a, b = split_pair(read_image(path), path, size)
        source, target = (a, b) if direction == "AtoB" else (b, a)
        out = torch.from_numpy(np.ascontiguousarray(translate_whole(infer, source, multiple)))[None]
        tgt = torch.from_numpy(target)[None]
        if out.shape != tgt.shape:
            raise I2IError(f"{path}: model output {tuple(out.shape[1:])} differs from target {tgt.shape[1:]}")
        sums["l1"] += float(metrics.l1(out, tgt))
        sums["psnr"] += float(metrics.psnr(out, tgt))
        sums["ssim"] += float(metrics.ssim(out, tgt))
        if lpips_model is not None:
            sums["lpips"] += float(lpips_model.distance(out, tgt)[0])
        if kid_model is not None:
            fake_features.append(kid_model(out))
            real_features.append(kid_model(tgt))
        pairs.append((np.asarray(from_float_chw(source)), np.asarray(from_float_chw(out[0].numpy()))))
        if on_image is not None:
            on_image()
    n = len(files)
    result: dict[str, float | int | None] = {k: v / n for k, v in sums.items()}
    result["images"] = n
    result["checkerboard"] = score_pairs(pairs).checkerboard
    result["kid"] = result["kid_std"] = None
    if kid_model is not None:
        result["kid"], result["kid_std"] = kid(np.concatenate(real_features), np.concatenate(fake_features))
    if lpips_model is None:
        result["lpips"] = None
    return result


def eval_paired(
    model: str,
    data: str,
    *,
    split: str | None = None,
    direction: str | None = None,
    limit: int | None = None,
    size: int | None = None,
    lpips_net: str | None = "vgg",
    with_kid: bool = False,
    device: str = "auto",
    threads: int | None = None,
    data_root: str | Path | None = None,
    on_start: Callable[[int], None] | None = None,
    on_image: Callable[[], None] | None = None,
) -> PairedScores:
    """``i2i eval paired``: resolve model and data, translate the split, score it (see module doc).

    ``lpips_net``: ``vgg`` | ``alex`` | None (skip LPIPS). ``limit``: the first N files in sorted order.
    ``with_kid``: also KID of the outputs against the targets (FID Inception features).
    """
    from i2i.data.resolve import resolve_dataset
    from i2i.runtime.resolve import resolve_model
    from i2i.sessions.onnxruntime_session import TranslatorSession

    if limit is not None and limit < 1:
        raise I2IError(f"--limit must be >= 1, got {limit}")
    if size is not None and size < 16:
        raise I2IError(f"--size must be >= 16, got {size}")
    session = TranslatorSession(resolve_model(model, direction), device=device, threads=threads)
    used = effective_direction(session.info.direction, direction)
    data_dir = resolve_dataset(data, data_root, fetch=False)
    split_name, files = find_split(data_dir, split)
    files = files[:limit] if limit else files
    lpips_model = None
    if lpips_net:
        from i2i.eval.lpips import load_lpips

        lpips_model = load_lpips(lpips_net, log=lambda _m: None)
    kid_model = None
    if with_kid:
        from i2i.eval.inception_features import FIDInception

        kid_model = FIDInception()
    if on_start is not None:
        on_start(len(files))
    start = time.perf_counter()
    scores = evaluate_paired(
        session,
        files,
        direction=used,
        multiple=session.info.size_multiple,
        size=size,
        lpips_model=lpips_model,
        kid_model=kid_model,
        on_image=on_image,
    )
    return PairedScores(
        model=str(session.path),
        data=str(data_dir),
        split=split_name,
        direction=used,
        images=int(scores["images"] or 0),
        size=f"{size}x{size} (resized)" if size else "native",
        l1=float(scores["l1"] or 0.0),
        psnr=float(scores["psnr"] or 0.0),
        ssim=float(scores["ssim"] or 0.0),
        lpips=None if scores["lpips"] is None else float(scores["lpips"]),
        lpips_net=lpips_net,
        checkerboard=float(scores["checkerboard"] or 0.0),
        kid=None if scores["kid"] is None else float(scores["kid"]),
        kid_std=None if scores["kid_std"] is None else float(scores["kid_std"]),
        seconds=time.perf_counter() - start,
    )
