"""Unpaired evaluation (``i2i eval model``): translate a model's source domain with the ONNX runtime and
compare the results with real images of its target domain by FID and KID (:mod:`i2i.eval.distribution`).

Data layout: the CycleGAN one, ``<data>/{train,test}{A,B}/``. A model that translates AtoB reads ``*A``
and is compared with ``*B``; BtoA the other way round. The test split is used when both of its folders
exist, else the train split (reported: a model scored on its own training images looks better than it
is). ``limit`` takes the first N source images in sorted order; the real side is always the whole
target folder (its features are cached per folder, so it is encoded once). Translations are written as
PNG (lossless) to ``out`` (a temporary folder by default) and encoded from there.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from i2i.errors import I2IError
from i2i.eval.paired import effective_direction
from i2i.imageio import list_images


def unpaired_split(data_dir: Path, direction: str) -> tuple[str, Path, Path]:
    """(split, source folder, real target folder): ``test`` when testA and testB exist, else ``train``.

    Raises:
        I2IError: neither split has both folders.
    """
    src, dst = ("A", "B") if direction == "AtoB" else ("B", "A")
    for split in ("test", "train"):
        if (data_dir / f"{split}A").is_dir() and (data_dir / f"{split}B").is_dir():
            return split, data_dir / f"{split}{src}", data_dir / f"{split}{dst}"
    raise I2IError(f"{data_dir}: expected testA/ + testB/ or trainA/ + trainB/ folders (a CycleGAN dataset)")


@dataclass(frozen=True)
class UnpairedScores:
    """FID and KID (raw, not x1000; mean and std over ``kid_subsets`` random subsets) of the translated
    source images against the real target folder."""

    model: str
    data: str
    split: str
    direction: str
    source: str
    real: str
    fake_count: int
    real_count: int
    fid: float
    kid_mean: float
    kid_std: float
    kid_subsets: int
    kid_subset_size: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def eval_unpaired(
    model: str,
    data: str,
    *,
    direction: str | None = None,
    limit: int | None = None,
    out: str | Path | None = None,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    device: str = "auto",
    threads: int | None = None,
    feature_device: str = "cpu",
    data_root: str | Path | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> UnpairedScores:
    """Translate the source domain (first ``limit`` images), then FID/KID against the real target domain."""
    from i2i.data.resolve import resolve_dataset
    from i2i.eval.distribution import compare_folders
    from i2i.runtime.inputs import Job
    from i2i.runtime.pipeline import TranslateOptions, translate_jobs
    from i2i.runtime.resolve import resolve_model
    from i2i.runtime.session import TranslatorSession

    say = on_stage or (lambda _m: None)
    if limit is not None and limit < 2:
        raise I2IError(f"--limit must be >= 2 (FID/KID need two images), got {limit}")
    session = TranslatorSession(resolve_model(model, direction), device=device, threads=threads)
    used = effective_direction(session.info.direction, direction)
    data_dir = resolve_dataset(data, data_root, fetch=False)
    split, source_dir, real_dir = unpaired_split(data_dir, used)
    sources, _ = list_images(source_dir)
    sources = sources[:limit] if limit else sources
    if len(sources) < 2:
        raise I2IError(f"{source_dir}: need at least 2 images, found {len(sources)}")
    if out is not None and Path(out).is_dir() and any(Path(out).iterdir()):
        raise I2IError(f"{out}: not empty; --out needs an empty or new folder (FID reads all of it)")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="i2i-eval-") as tmp:
        fake_dir = Path(out) if out is not None else Path(tmp)
        jobs = [Job(p, fake_dir / f"{p.relative_to(source_dir).with_suffix('')}.png") for p in sources]
        say(f"translating {len(jobs)} {split}{source_dir.name[-1]} images with {session.path.name}")
        summary = translate_jobs(
            session,
            jobs,
            multiple=session.info.size_multiple,
            in_channels=session.info.io.in_channels,
            options=TranslateOptions(batch=1, overwrite=True),
        )
        if summary.failures:
            first = summary.failures[0]
            raise I2IError(
                f"{len(summary.failures)} image(s) failed to translate; first: {first.path}: {first.reason}"
            )
        say(f"Inception features of {real_dir} (cached per folder) and of the {len(jobs)} translations")
        scores = compare_folders(
            real_dir,
            fake_dir,
            device=feature_device,
            kid_subsets=kid_subsets,
            kid_subset_size=kid_subset_size,
        )
    return UnpairedScores(
        model=str(session.path),
        data=str(data_dir),
        split=split,
        direction=used,
        source=str(source_dir),
        real=str(real_dir),
        fake_count=scores.fake_count,
        real_count=scores.real_count,
        fid=scores.fid,
        kid_mean=scores.kid_mean,
        kid_std=scores.kid_std,
        kid_subsets=kid_subsets,
        kid_subset_size=min(kid_subset_size, scores.fake_count, scores.real_count),
        seconds=time.perf_counter() - start,
    )
