"""Style evaluation (``i2i eval style``): how close stylised photos come to their painting, and how much of
each photo they keep, in the terms of the fast-style training objective (Johnson et al. 2016), with the
style term checked again on a network that no method optimises.

The stylised images y come from a fast-style ONNX model run here (``model``) or from a folder of finished
images (``outputs``: Gatys' optimisation, another model, any tool), matched to the photos by name
(:mod:`i2i.eval.output_pairs`). Both routes score with the same code. For photos x (RGB in [0, 1], long
side resized to ``size``), the style image s (long side ``style_size``), the frozen VGG16 phi (the training
loss network, ImageNet weights) and the frozen AlexNet psi (an independent network: torchvision's ImageNet
AlexNet, the trunk of LPIPS' ``lpips_alex`` weights), per image i::

    content_i          = mean((phi_relu2_2(y_i) - phi_relu2_2(x_i))^2)
    style_i            = sum_l mean((G(phi_l(y_i)) - G(phi_l(s)))^2)   l in relu1_2 relu2_2 relu3_3 relu4_3
    baseline_i         = the same style term for the photo itself (y = x)
    style_alexnet_i    = sum_k mean((G(psi_k(y_i)) - G(psi_k(s)))^2)   k in relu1 .. relu5, all weights 1
    baseline_alexnet_i = the same for the photo

with G(F) = F F^T / (C H W). Reported: the means over the images (unweighted: multiply by the recipe's
lambda_c = 1e5 and lambda_s = 1e10 to compare with training logs), ``style_ratio`` = mean style / mean
baseline (the share of the photos' Gram distance to the painting that is left after stylising; lower is
more stylised, 1 means no change) and ``style_ratio_alexnet`` the same on AlexNet, each with a delete-one
jackknife standard error over the images (``*_se``: a 6-photo set has a spread worth knowing). A method
that games VGG16's Grams (the network both a fast model and Gatys minimise) scores well on ``style_ratio``
but not on ``style_ratio_alexnet``. ``near_black`` and ``checkerboard`` are the artefact scores of
:mod:`i2i.eval.artifacts`. Use held-out photos: numbers on the training photos flatter a model. Finished
images must be written losslessly (PNG): JPEG noise moves the relu1_2 Gram (a fast model's 5.5% becomes
13.6%).

``against``: a folder of reference finished images of the same photos (typically Gatys', matched by the same
rules as ``outputs``), scored in the same pass with the same photo and painting features: per image
``against_style_i`` and ``against_style_alexnet_i`` (the style terms above with y = the reference), the
reference's own shares ``against_style_ratio`` = mean against_style / mean baseline (and on AlexNet), and

    style_ratio_vs_against = style_ratio / against_style_ratio   (> 1: the scored images keep more of the
                                                                   photos' style distance than the reference)

with its jackknife standard error (the leave-one-out ratio of the two shares, paired per photo; the common
baseline cancels, so it is :func:`ratio_standard_error` of the style terms over the reference's).

Per layer (``style_ratio_layers``, keyed ``vgg16/relu1_2`` .. ``alexnet/relu5``): each layer's term summed
over the images over the same for the photos, and ``against_style_ratio_layers`` for the reference. The sums
above are unweighted, so their largest layers rule them (relu2_2 and relu1_2 on VGG16: relu4_3's Gram
distances are a few thousandths of theirs); the per-layer shares show what they hide, e.g. a model that
matches the painting's fine texture better than Gatys does and its deep layers half as well.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from i2i.errors import I2IError
from i2i.eval import style_sources as sources
from i2i.eval.record import ScoreRecord
from i2i.eval.style_sources import StylePair

CONTENT_LAYER = "relu2_2"
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
ALEXNET_LAYERS = ("relu1", "relu2", "relu3", "relu4", "relu5")

#: A reference finished image of the same photo (``against``): (its file, the image (3, H, W) float32 in
#: [0, 1] at the photo's size).
StyleReference = tuple[str, np.ndarray]


@dataclass(frozen=True)
class ImageStyleScore(ScoreRecord):
    """One photo's terms (see the module docstring); ratios are this image's style over its baseline.
    ``against*``: the reference image's file and style terms (None without ``against``)."""

    photo: str
    output: str | None
    content: float
    style_loss: float
    style_baseline: float
    style_ratio: float
    style_loss_alexnet: float
    style_baseline_alexnet: float
    style_ratio_alexnet: float
    against: str | None = None
    against_style_loss: float | None = None
    against_style_loss_alexnet: float | None = None
    #: Each layer's style term for the output, the photo and the reference (module docstring's keys).
    layers: dict[str, float] | None = None
    baseline_layers: dict[str, float] | None = None
    against_layers: dict[str, float] | None = None


@dataclass(frozen=True)
class StyleScores(ScoreRecord):
    """Means over a folder of photos (see the module docstring). ``model``: the model run (None when
    ``outputs``, the folder of finished images, was scored). The fields up to ``seconds`` are those of the
    first version of this record (VGG16 only), unchanged. ``against`` and the fields after it: the
    reference folder and its comparison (module docstring), all None without ``against``."""

    model: str | None
    photos: str
    style: str
    images: int
    size: int
    style_size: int
    content: float
    style_loss: float
    style_baseline: float
    style_ratio: float
    near_black: float
    checkerboard: float
    seconds: float
    outputs: str | None
    style_ratio_se: float
    style_loss_alexnet: float
    style_baseline_alexnet: float
    style_ratio_alexnet: float
    style_ratio_alexnet_se: float
    against: str | None
    against_style_ratio: float | None
    against_style_ratio_alexnet: float | None
    style_ratio_vs_against: float | None
    style_ratio_vs_against_se: float | None
    style_ratio_alexnet_vs_against: float | None
    style_ratio_alexnet_vs_against_se: float | None
    against_near_black: float | None
    per_image: tuple[ImageStyleScore, ...]
    style_ratio_layers: dict[str, float] | None = None
    against_style_ratio_layers: dict[str, float] | None = None


@dataclass(frozen=True)
class ScoredPairs:
    """What :func:`score_style_pairs` measured: the per-image terms, the near-black share and checkerboard
    score of the outputs, and the reference images' near-black share (None without references)."""

    rows: list[ImageStyleScore]
    near_black: float
    checkerboard: float
    against_near_black: float | None


def check_source(model: str | None, outputs: str | Path | None) -> None:
    """I2IError unless exactly one of ``model`` (run it) and ``outputs`` (score these files) is given."""
    if (model is None) == (outputs is None):
        what = "both" if model is not None else "neither"
        raise I2IError(
            f"give exactly one of --model (run a fast-style model) and --outputs (score a folder of "
            f"finished images), got {what}"
        )


def ratio_standard_error(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Delete-one jackknife standard error of ``sum(numerators) / sum(denominators)`` over the images:
    ``se^2 = (n - 1) / n * sum_i (r_(i) - mean r_(.))^2`` with ``r_(i)`` the ratio without image i (the
    estimate :mod:`i2i.eval.jackknife` uses for KID ratios). NaN with fewer than 2 images or a
    non-positive leave-one-out denominator."""
    num, den = np.asarray(numerators, dtype=np.float64), np.asarray(denominators, dtype=np.float64)
    n = len(num)
    if n < 2 or len(den) != n:
        return float("nan")
    rest = den.sum() - den
    if bool((rest <= 0).any()):
        return float("nan")
    without = (num.sum() - num) / rest
    return float(np.sqrt((n - 1) / n * np.sum((without - without.mean()) ** 2)))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def score_style_pairs(
    pairs: Iterable[StylePair],
    style_path: Path,
    *,
    style_size: int,
    backbone_weights: str | Path | None = None,
    alexnet_weights: str | Path | None = None,
    references: Iterable[StyleReference] | None = None,
    log: Callable[[str], None] | None = None,
) -> ScoredPairs:
    """Score each (photo, output) pair against the painting at ``style_path`` (long side ``style_size``):
    the per-image terms of the module docstring, then the near-black share and the checkerboard score of
    the whole set. The model route and the folder route both end here. ``references``: one reference image
    per pair, in the same order (``against``), scored with the same networks, painting Grams and photo
    features.

    Raises:
        I2IError: the VGG16 or AlexNet weights are unavailable, or no pairs were given.
        ValueError: ``references`` and ``pairs`` differ in length.
    """
    import torch

    from i2i.eval.artifacts import near_black_share, score_pairs
    from i2i.features.alexnet import MIN_SIDE, load_alexnet
    from i2i.features.vgg import load_vgg
    from i2i.imageio import from_float_chw, read_image, resize_long_side, to_float_chw
    from i2i.losses import content_loss, gram, style_loss

    say = log or (lambda _m: None)
    vgg = load_vgg("vgg16", [CONTENT_LAYER, *STYLE_LAYERS], backbone_weights, log=say)
    alexnet = load_alexnet(ALEXNET_LAYERS, alexnet_weights, log=say)
    rows: list[ImageStyleScore] = []
    artefact_pairs = []
    with torch.inference_mode():
        s = torch.from_numpy(to_float_chw(resize_long_side(read_image(style_path), style_size)))[None]
        if min(s.shape[2:]) < MIN_SIDE:
            raise I2IError(
                f"{style_path}: {s.shape[3]}x{s.shape[2]} px at --style-size {style_size}; the AlexNet check "
                f"needs at least {MIN_SIDE} px a side (raise --style-size)"
            )
        vgg_grams = {layer: gram(f) for layer, f in vgg(s).items() if layer in STYLE_LAYERS}
        alexnet_grams = {layer: gram(f) for layer, f in alexnet(s).items()}

        def distances(image: np.ndarray) -> tuple[dict[str, torch.Tensor], float, float, dict[str, float]]:
            """VGG16 features of (3, H, W) ``image`` in [0, 1], its style terms on VGG16 and on AlexNet, and
            each layer's term."""
            batch = torch.from_numpy(image)[None]
            features = vgg(batch)
            alexnet_features = alexnet(batch)
            terms = {f"vgg16/{k}": float(style_loss(features, vgg_grams, {k: 1.0})) for k in STYLE_LAYERS}
            alexnet_terms = {
                f"alexnet/{k}": float(style_loss(alexnet_features, alexnet_grams, {k: 1.0}))
                for k in ALEXNET_LAYERS
            }
            return features, sum(terms.values()), sum(alexnet_terms.values()), {**terms, **alexnet_terms}

        items = zip(pairs, references, strict=True) if references is not None else ((p, None) for p in pairs)
        dark = bright = 0  # the references' near-black pixels among the photos' bright ones
        for (photo_name, output_name, photo, output), reference in items:
            photo_u8 = np.asarray(from_float_chw(photo))
            artefact_pairs.append((photo_u8, np.asarray(from_float_chw(output))))
            vx, baseline, baseline_a, baseline_layers = distances(photo)
            vy, styled, styled_a, layers = distances(output)
            row = ImageStyleScore(
                photo=photo_name,
                output=output_name,
                content=float(content_loss(vy[CONTENT_LAYER], vx[CONTENT_LAYER])),
                style_loss=styled,
                style_baseline=baseline,
                style_ratio=_ratio(styled, baseline),
                style_loss_alexnet=styled_a,
                style_baseline_alexnet=baseline_a,
                style_ratio_alexnet=_ratio(styled_a, baseline_a),
                layers=layers,
                baseline_layers=baseline_layers,
            )
            if reference is not None:
                reference_name, reference_image = reference
                _, against_styled, against_styled_a, against_layers = distances(reference_image)
                d, b = near_black_share(np.asarray(from_float_chw(reference_image)), photo_u8)
                dark, bright = dark + d, bright + b
                row = replace(
                    row,
                    against=reference_name,
                    against_style_loss=against_styled,
                    against_style_loss_alexnet=against_styled_a,
                    against_layers=against_layers,
                )
            rows.append(row)
    if not rows:
        raise I2IError("no images to score")
    artefacts = score_pairs(artefact_pairs, near_black=True)
    return ScoredPairs(
        rows=rows,
        near_black=float(artefacts.near_black or 0.0),
        checkerboard=artefacts.checkerboard,
        against_near_black=(dark / bright if bright else 0.0) if references is not None else None,
    )


def eval_style(
    model: str | None,
    photos: str | Path,
    style: str,
    *,
    outputs: str | Path | None = None,
    against: str | Path | None = None,
    limit: int | None = None,
    size: int = 256,
    style_size: int = 512,
    device: str = "auto",
    threads: int | None = None,
    backbone_weights: str | Path | None = None,
    alexnet_weights: str | Path | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> StyleScores:
    """Score the first ``limit`` photos under ``photos`` (sorted, recursive) stylised against ``style`` (a
    file or bundled style name): either by running ``model`` (a registry name or .onnx fast-style model,
    through onnxruntime, the float outputs scored as they are) or by reading the finished images under
    ``outputs`` (one per photo, matched by name: :mod:`i2i.eval.output_pairs`; each must be as large as its
    photo resized to ``size``). Exactly one of ``model`` and ``outputs``. ``against``: also score the
    reference finished images in this folder (matched and checked as ``outputs``) and compare (module
    docstring).

    Raises:
        I2IError: both or neither of ``model`` and ``outputs``; the model is not a fast-style model; the
            folder has no images; an image cannot be read; a photo has no output or reference, or one of
            another size; a photo is under 31 px a side at ``size``; the VGG16 or AlexNet weights are
            unavailable.
    """
    from i2i.optimize.style_images import resolve_style

    check_source(model, outputs)
    say = on_stage or (lambda _m: None)
    if size < 16 or style_size < 16:
        raise I2IError(f"--size and --style-size must be at least 16, got {size} and {style_size}")
    if limit is not None and limit < 1:
        raise I2IError(f"--limit must be >= 1, got {limit}")
    session = sources.fast_style_session(model, device, threads) if model is not None else None
    folder = Path(photos)
    paths = sources.photo_paths(folder, limit)
    style_path, style_name = resolve_style(style)
    sizes = sources.photo_sizes(paths, size) if outputs is not None or against is not None else None
    if session is not None:
        say(f"stylising and scoring {len(paths)} photos from {folder} against {style_name}")
        pairs = sources.model_pairs(session, folder, paths, size)
    else:
        assert outputs is not None  # check_source
        from i2i.eval.output_pairs import pair_outputs

        files = pair_outputs(folder, paths, Path(outputs), style_name)
        sources.check_sizes(paths, sizes, files, size)
        say(f"scoring {len(files)} images from {outputs} against their photos in {folder} and {style_name}")
        pairs = sources.folder_pairs(folder, paths, files, size)
    references = None
    if against is not None:
        from i2i.eval.output_pairs import pair_outputs

        against_files = pair_outputs(folder, paths, Path(against), style_name, flag="--against")
        sources.check_sizes(paths, sizes, against_files, size)
        say(f"comparing with the reference images in {against}")
        references = ((str(file), sources.read_output(file)) for file in against_files)

    start = time.perf_counter()
    scored = score_style_pairs(
        pairs,
        style_path,
        style_size=style_size,
        backbone_weights=backbone_weights,
        alexnet_weights=alexnet_weights,
        references=references,
        log=say,
    )
    rows = scored.rows
    column = {name: [getattr(r, name) for r in rows] for name in ImageStyleScore.__dataclass_fields__}
    mean = {
        name: float(np.mean(values))
        for name, values in column.items()
        if name not in ("photo", "output", "against")
        and None not in values
        and not isinstance(values[0], dict)
    }
    style_ratio = _ratio(mean["style_loss"], mean["style_baseline"])
    style_ratio_alexnet = _ratio(mean["style_loss_alexnet"], mean["style_baseline_alexnet"])
    compared = _against_scores(
        against, mean, column, style_ratio, style_ratio_alexnet, scored.against_near_black
    )
    return StyleScores(
        model=str(session.path) if session is not None else None,
        photos=str(folder),
        style=str(style_path),
        images=len(rows),
        size=size,
        style_size=style_size,
        content=mean["content"],
        style_loss=mean["style_loss"],
        style_baseline=mean["style_baseline"],
        style_ratio=style_ratio,
        near_black=scored.near_black,
        checkerboard=scored.checkerboard,
        seconds=time.perf_counter() - start,
        outputs=str(outputs) if outputs is not None else None,
        style_ratio_se=ratio_standard_error(column["style_loss"], column["style_baseline"]),
        style_loss_alexnet=mean["style_loss_alexnet"],
        style_baseline_alexnet=mean["style_baseline_alexnet"],
        style_ratio_alexnet=style_ratio_alexnet,
        style_ratio_alexnet_se=ratio_standard_error(
            column["style_loss_alexnet"], column["style_baseline_alexnet"]
        ),
        **compared,
        per_image=tuple(rows),
        style_ratio_layers=_layer_ratios(rows, "layers"),
        against_style_ratio_layers=_layer_ratios(rows, "against_layers") if against is not None else None,
    )


def _layer_ratios(rows: Sequence[ImageStyleScore], field: str) -> dict[str, float]:
    """Per layer: the ``field`` terms summed over ``rows`` over the photos' (``baseline_layers``) sum."""
    return {
        layer: _ratio(
            sum(getattr(r, field)[layer] for r in rows), sum(r.baseline_layers[layer] for r in rows)
        )
        for layer in rows[0].baseline_layers
    }


def _against_scores(
    against: str | Path | None,
    mean: dict[str, float],
    column: dict[str, list],
    style_ratio: float,
    style_ratio_alexnet: float,
    near_black: float | None,
) -> dict[str, str | float | None]:
    """The ``against*`` and ``*_vs_against*`` fields of :class:`StyleScores` (all None without ``against``).

    The jackknife of ``style_ratio / against_style_ratio`` leaves a photo out of both shares; their common
    baseline cancels, so each leave-one-out value is sum style / sum against_style over the other photos.
    """
    names = (
        "against_style_ratio",
        "against_style_ratio_alexnet",
        "style_ratio_vs_against",
        "style_ratio_vs_against_se",
        "style_ratio_alexnet_vs_against",
        "style_ratio_alexnet_vs_against_se",
    )
    if against is None:
        return {"against": None, **dict.fromkeys(names), "against_near_black": None}
    own = _ratio(mean["against_style_loss"], mean["style_baseline"])
    own_alexnet = _ratio(mean["against_style_loss_alexnet"], mean["style_baseline_alexnet"])
    values = (
        own,
        own_alexnet,
        _ratio(style_ratio, own),
        ratio_standard_error(column["style_loss"], column["against_style_loss"]),
        _ratio(style_ratio_alexnet, own_alexnet),
        ratio_standard_error(column["style_loss_alexnet"], column["against_style_loss_alexnet"]),
    )
    return {
        "against": str(against),
        **dict(zip(names, values, strict=True)),
        "against_near_black": near_black,
    }
