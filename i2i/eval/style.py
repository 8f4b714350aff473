"""Fast-style evaluation (``i2i eval style``): how close a model's outputs come to its painting, and how
much of each photo they keep, in the terms of the training objective (Johnson et al. 2016).

For photos x (RGB in [0, 1], long side resized to ``size``), outputs y = model(x) through the ONNX runtime,
the frozen VGG16 phi and the style image s (long side ``style_size``)::

    content  = mean_i  mean((phi_relu2_2(y_i) - phi_relu2_2(x_i))^2)
    style    = mean_i  sum_l mean((G(phi_l(y_i)) - G(phi_l(s)))^2)      l in relu1_2 relu2_2 relu3_3 relu4_3
    baseline = the same style term for the photos themselves (y = x)

Unweighted (multiply by the recipe's lambda_c = 1e5 and lambda_s = 1e10 to compare with training logs).
``style_ratio`` = style / baseline: the share of the photos' Gram distance to the painting that is left
after stylising (lower is more stylised; 1 means no change). ``near_black`` and ``checkerboard`` are the
artefact scores of :mod:`i2i.eval.artifacts` (black holes where the photo was bright; periodic up-sampling
patterns relative to the photos'). Use held-out photos: numbers on the training photos flatter the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from i2i import tasks
from i2i.errors import I2IError
from i2i.eval.record import ScoreRecord
from i2i.tasks.registry import EVAL_STYLE

CONTENT_LAYER = "relu2_2"
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


@dataclass(frozen=True)
class StyleScores(ScoreRecord):
    """Mean per-image losses of a fast-style model on a folder of photos (see the module docstring)."""

    model: str
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


def eval_style(
    model: str,
    photos: str | Path,
    style: str,
    *,
    limit: int | None = None,
    size: int = 256,
    style_size: int = 512,
    device: str = "auto",
    threads: int | None = None,
    backbone_weights: str | Path | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> StyleScores:
    """Stylise the first ``limit`` photos under ``photos`` (sorted, recursive) with ``model`` (a registry
    name or .onnx file) and score them against ``style`` (a file or bundled style name).

    Raises:
        I2IError: the model is not a fast-style model, the folder has no images, an image cannot be read,
            or the VGG16 weights are unavailable.
    """
    import numpy as np
    import torch

    from i2i.eval.artifacts import score_pairs
    from i2i.features.vgg import load_vgg
    from i2i.imageio import from_float_chw, list_images, read_image, resize_long_side, to_float_chw
    from i2i.losses import content_loss, gram, style_loss
    from i2i.optimize.style_images import resolve_style
    from i2i.runtime.resolve import resolve_model
    from i2i.runtime.tiling import translate_whole
    from i2i.sessions.onnxruntime_session import TranslatorSession

    say = on_stage or (lambda _m: None)
    if size < 16 or style_size < 16:
        raise I2IError(f"--size and --style-size must be at least 16, got {size} and {style_size}")
    if limit is not None and limit < 1:
        raise I2IError(f"--limit must be >= 1, got {limit}")
    session = TranslatorSession(resolve_model(model), device=device, threads=threads)
    spec = tasks.find(session.info.task)
    if spec is None or spec.eval != EVAL_STYLE:
        raise I2IError(
            f"{session.path}: a {session.info.task} model; `i2i eval style` scores fast-style models"
        )
    folder = Path(photos)
    if not folder.is_dir():
        raise I2IError(f"{folder}: no such folder")
    paths, _ = list_images(folder)
    paths = paths[:limit] if limit else paths
    if not paths:
        raise I2IError(f"{folder}: no images found")
    style_path, style_name = resolve_style(style)

    start = time.perf_counter()
    vgg = load_vgg("vgg16", [CONTENT_LAYER, *STYLE_LAYERS], backbone_weights, log=say)
    weights = dict.fromkeys(STYLE_LAYERS, 1.0)
    with torch.inference_mode():
        s_img = to_float_chw(resize_long_side(read_image(style_path), style_size))
        s_feats = vgg(torch.from_numpy(s_img)[None])
        grams = {layer: gram(s_feats[layer]) for layer in STYLE_LAYERS}
        totals = np.zeros(3)
        pairs = []
        say(f"stylising and scoring {len(paths)} photos from {folder} against {style_name}")
        for path in paths:
            photo = to_float_chw(resize_long_side(read_image(path), size))
            out = translate_whole(session, photo, session.info.size_multiple)
            pairs.append((np.asarray(from_float_chw(photo)), np.asarray(from_float_chw(out))))
            x, y = vgg(torch.from_numpy(photo)[None]), vgg(torch.from_numpy(out)[None])
            totals += [
                float(content_loss(y[CONTENT_LAYER], x[CONTENT_LAYER])),
                float(style_loss(y, grams, weights)),
                float(style_loss(x, grams, weights)),
            ]
    content, styled, baseline = totals / len(paths)
    artefacts = score_pairs(pairs, near_black=True)
    return StyleScores(
        model=str(session.path),
        photos=str(folder),
        style=str(style_path),
        images=len(paths),
        size=size,
        style_size=style_size,
        content=content,
        style_loss=styled,
        style_baseline=baseline,
        style_ratio=styled / baseline if baseline > 0 else float("nan"),
        near_black=float(artefacts.near_black or 0.0),
        checkerboard=artefacts.checkerboard,
        seconds=time.perf_counter() - start,
    )
