"""Unpaired evaluation (``i2i eval model``): translate a model's source domain with the ONNX runtime and
compare the results with real images of its target domain by FID and KID (:mod:`i2i.eval.distribution`).

Data layout: the CycleGAN one, ``<data>/{train,test}{A,B}/``. A model that translates AtoB reads ``*A``
and is compared with ``*B``; BtoA the other way round. The test split is used when both of its folders
exist, else the train split (reported: a model scored on its own training images looks better than it
is). With ``holdout`` (e.g. 0.1) both sides are the held-back share of the *train* folders instead
(:func:`i2i.data.holdout.holdout_files`, the files a training run with the same ``--holdout`` never saw).
``limit`` takes the first N source images in sorted order; the real side is always the whole target set
(its features are cached by content, so it is encoded once). Translations are written as PNG (lossless) to
``out`` (a temporary folder by default) and encoded from there.

Also reported: the same FID/KID for the *untranslated* source images (the baseline a model must beat: a
translation that leaves its inputs alone scores exactly that) and the checkerboard score of the
translations against their inputs (:mod:`i2i.eval.artifacts`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from i2i.errors import I2IError
from i2i.eval.options import UnpairedOptions
from i2i.eval.paired import effective_direction
from i2i.eval.record import ScoreRecord
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
class UnpairedScores(ScoreRecord):
    """FID and KID (raw, not x1000; mean and std over ``kid_subsets`` random subsets) of the translated
    source images against the real target folder.

    ``kid_std`` only says how much the subsets agree; how much the KID ratio would move on other images of
    the same domains is ``kid_ratio_se``, its jackknife standard error over the images
    (:mod:`i2i.eval.jackknife`; NaN when the ratio is undefined or a set has fewer than 3 images)."""

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
    untranslated_fid: float
    untranslated_kid: float
    kid_ratio: float
    kid_ratio_se: float
    checkerboard: float
    held_out: list[str] | None
    seconds: float


@dataclass(frozen=True)
class UnpairedComparison(ScoreRecord):
    """Two models scored on the same inputs and real images, and ``ratio_difference`` = second's KID ratio
    minus first's (negative: the second model is closer to the target domain) with its paired jackknife
    standard error (:func:`i2i.eval.jackknife.kid_ratio_difference_standard_error`)."""

    first: UnpairedScores
    second: UnpairedScores
    ratio_difference: float
    ratio_difference_se: float


@dataclass(frozen=True)
class _Scored:
    """One model's scores and the features behind them: (m, d) real, (n, d) translations, (n, d) their
    inputs in the translations' row order."""

    scores: UnpairedScores
    real: Any
    fake: Any
    source: Any


def eval_unpaired(
    model: str,
    data: str,
    *,
    out: str | Path | None = None,
    on_stage: Callable[[str], None] | None = None,
    **options: Any,
) -> UnpairedScores:
    """Translate the source domain (first ``limit`` images), then FID/KID against the real target domain;
    ``out``: keep the translations in this folder (default: a temporary one). ``options``: the fields of
    :class:`~i2i.eval.options.UnpairedOptions` (TypeError for any other)."""
    (scored,) = _score_models([model], [out], data, on_stage, UnpairedOptions(**options))
    return scored.scores


def compare_unpaired(
    first: str,
    second: str,
    data: str,
    *,
    on_stage: Callable[[str], None] | None = None,
    **options: Any,
) -> UnpairedComparison:
    """Score two models of the same direction on the same images (as :func:`eval_unpaired`) and the
    difference of their KID ratios with its paired standard error.

    Raises:
        I2IError: the two models translate in different directions.
    """
    from i2i.eval.jackknife import kid_ratio_difference_standard_error

    a, b = _score_models([first, second], [None, None], data, on_stage, UnpairedOptions(**options))
    return UnpairedComparison(
        first=a.scores,
        second=b.scores,
        ratio_difference=b.scores.kid_ratio - a.scores.kid_ratio,
        ratio_difference_se=kid_ratio_difference_standard_error(a.real, a.fake, b.fake, a.source),
    )


def _score_models(
    models: list[str],
    outs: list[str | Path | None],
    data: str,
    on_stage: Callable[[str], None] | None,
    options: UnpairedOptions,
) -> list[_Scored]:
    """Open a session per model (names or ``.onnx`` files) and score them all on the same images."""
    from i2i.runtime.resolve import resolve_model
    from i2i.sessions.onnxruntime_session import TranslatorSession

    direction = options.direction
    sessions = [
        TranslatorSession(resolve_model(m, direction), device=options.device, threads=options.threads)
        for m in models
    ]
    return _evaluate(
        sessions,
        outs,
        data,
        direction=direction,
        limit=options.limit,
        kid_subsets=options.kid_subsets,
        kid_subset_size=options.kid_subset_size,
        feature_device=options.feature_device,
        data_root=options.data_root,
        holdout=options.holdout,
        say=on_stage or (lambda _m: None),
    )


def _evaluate(
    sessions: list[Any],
    outs: list[str | Path | None],
    data: str,
    *,
    direction: str | None,
    limit: int | None,
    kid_subsets: int,
    kid_subset_size: int,
    feature_device: str,
    data_root: str | Path | None,
    holdout: float | None,
    say: Callable[[str], None],
) -> list[_Scored]:
    """Translate the same source images with each session (into its ``outs`` folder, or a temporary one)
    and score each against the same real images."""
    import numpy as np

    from i2i.data.holdout import holdout_files
    from i2i.data.resolve import resolve_dataset
    from i2i.eval.artifacts import score_pairs
    from i2i.eval.distribution import distribution_scores, feature_sets
    from i2i.eval.jackknife import kid_ratio_standard_error
    from i2i.imageio import read_image

    if limit is not None and limit < 2:
        raise I2IError(f"--limit must be >= 2 (FID/KID need two images), got {limit}")
    directions = {effective_direction(s.info.direction, direction) for s in sessions}
    if len(directions) > 1:
        raise I2IError(
            f"the models translate in different directions ({' and '.join(sorted(directions))}); "
            "compare models of one direction, or pick it with --direction"
        )
    (used,) = directions
    data_dir = resolve_dataset(data, data_root, fetch=False)
    split, source_dir, real_dir = unpaired_split(data_dir, used)
    if holdout is not None:
        split = f"held-back {holdout:g} of train"
        source_dir, real_dir = (
            data_dir / f"train{source_dir.name[-1]}",
            data_dir / f"train{real_dir.name[-1]}",
        )
    sources, _ = list_images(source_dir)
    reals, _ = list_images(real_dir)
    if holdout is not None:
        sources, reals = holdout_files(sources, holdout), holdout_files(reals, holdout)
    sources = sources[:limit] if limit else sources
    if len(sources) < 2:
        raise I2IError(f"{source_dir}: need at least 2 images, found {len(sources)}")
    for out in outs:
        if out is not None and Path(out).is_dir() and any(Path(out).iterdir()):
            raise I2IError(f"{out}: not empty; --out needs an empty or new folder (FID reads all of it)")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="i2i-eval-") as tmp:
        real_set = _linked(reals, real_dir, Path(tmp) / "real")
        source_set = _linked(sources, source_dir, Path(tmp) / "source")
        fake_dirs = [
            Path(out) if out is not None else Path(tmp) / f"translated{i}" for i, out in enumerate(outs)
        ]
        jobs = [
            _translate(session, sources, source_dir, folder, split, say)
            for session, folder in zip(sessions, fake_dirs, strict=True)
        ]
        say(f"Inception features of {len(reals)} real {real_dir.name} images (cached), the {len(sources)} "
            "translations and their inputs")  # fmt: skip
        real_feats, *fake_feats, source_feats = feature_sets(
            real_set, *fake_dirs, source_set, device=feature_device
        )
        baseline = distribution_scores(real_feats, source_feats, kid_subsets, kid_subset_size)
        results = []
        for session, folder, fake, model_jobs in zip(sessions, fake_dirs, fake_feats, jobs, strict=True):
            scores = distribution_scores(real_feats, fake, kid_subsets, kid_subset_size)
            paired_source = source_feats[_rows_matching(folder, source_set)]
            artefacts = score_pairs(
                (np.asarray(read_image(job.source)), np.asarray(read_image(job.target))) for job in model_jobs
            )
            unpaired = UnpairedScores(
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
                untranslated_fid=baseline.fid,
                untranslated_kid=baseline.kid_mean,
                # undefined (NaN) when the baseline KID is not positive: the inputs already match the target
                kid_ratio=scores.kid_mean / baseline.kid_mean if baseline.kid_mean > 0 else float("nan"),
                kid_ratio_se=kid_ratio_standard_error(real_feats, fake, paired_source),
                checkerboard=artefacts.checkerboard,
                held_out=[p.name for p in sources] if holdout is not None else None,
                seconds=time.perf_counter() - start,
            )
            results.append(_Scored(unpaired, real_feats, fake, paired_source))
    return results


def _translate(
    session: Any,
    sources: list[Path],
    source_dir: Path,
    fake_dir: Path,
    split: str,
    say: Callable[[str], None],
) -> list[Any]:
    """Translate ``sources`` into PNGs under ``fake_dir`` (relative names kept); the jobs, in source order.

    Raises:
        I2IError: an image failed to translate (a score over fewer images would mislead).
    """
    from i2i.runtime.inputs import Job
    from i2i.runtime.pipeline import TranslateOptions, translate_jobs

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
    return jobs


def _rows_matching(translated: Path, sources: Path) -> list[int]:
    """For each translation in feature order (sorted files under ``translated``), the row of its input
    among the sorted files under ``sources``: a translation keeps its input's relative name, not its suffix,
    so the two sorted orders can differ."""
    rows = {p.relative_to(sources).with_suffix(""): i for i, p in enumerate(list_images(sources)[0])}
    return [rows[p.relative_to(translated).with_suffix("")] for p in list_images(translated)[0]]


def _linked(files: list[Path], root: Path, folder: Path) -> Path:
    """``folder`` holding symlinks to ``files`` (relative names kept), so a file subset is a folder."""
    for path in files:
        link = folder / path.relative_to(root)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(path.resolve())
    return folder
