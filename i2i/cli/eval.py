"""`i2i eval`: image-quality metrics.

Each command's options are the fields of one dataclass of :mod:`i2i.eval.options`, one flag each
(:mod:`i2i.cli.options`); the model, the data and ``--json`` are the shared options below.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from i2i.cli.common import console
from i2i.cli.options import given, parameters, with_signature
from i2i.eval.options import FolderOptions, PairedOptions, StyleEvalOptions, UnpairedOptions

app = typer.Typer(
    no_args_is_help=True,
    help=(
        "Evaluate: paired L1/PSNR/SSIM/LPIPS, unpaired FID/KID (and two models compared), FID/KID of "
        "folders, fast-style losses."
    ),
)

ModelOption = Annotated[
    str,
    typer.Option(
        "--model", "-m", help="Model name (see `i2i models list`) or .onnx file.", show_default=False
    ),
]
EvalDataOption = Annotated[
    str,
    typer.Option("--data", help="Dataset folder, or a dataset name under --data-root.", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON only.")]


def _stage_printer(as_json: bool):  # -> Callable[[str], None]
    """Progress lines on the console, or nothing when the output must stay pure JSON."""

    def stage(message: str) -> None:
        if not as_json:
            console.print(f"[dim]{message}[/]", soft_wrap=True)

    return stage


def fid_command(as_json: bool, **values: Any) -> None:
    """FID and KID between two folders, with the standard TF Inception pool3 features."""
    from i2i.eval.distribution import compare_folders

    scores = compare_folders(**FolderOptions(**given(values, FolderOptions)).arguments())
    if as_json:
        print(json.dumps(scores.to_dict()))
        return
    console.print(
        f"FID {scores.fid:.2f}   KID {scores.kid_mean * 1000:.2f} ± {scores.kid_std * 1000:.2f} "
        "(x1e-3, over subsets)   "
        f"real {scores.real_count}, fake {scores.fake_count} images"
    )


def paired_command(model: str, data: str, as_json: bool, **values: Any) -> None:
    """Translate a paired (pix2pix) split and score it against ground truth: L1, PSNR, SSIM, LPIPS, the
    checkerboard score (output/input periodic energy) and, with --kid, KID against the targets.

    The model's recorded direction decides the input half (facades_label2photo: label map B -> photo A).
    """
    from i2i.eval.paired import eval_paired
    from i2i.progress import progress_bar

    options = PairedOptions(**given(values, PairedOptions))
    with progress_bar(console, transient=True, enabled=not as_json) as bar:
        task = bar.add_task("evaluating", total=None)
        scores = eval_paired(
            model,
            data,
            **options.arguments(),
            on_start=lambda n: bar.update(task, total=n),
            on_image=lambda: bar.advance(task),
        )
    if as_json:
        print(json.dumps(scores.to_dict()))
        return
    lp = f"   LPIPS({scores.lpips_net}) {scores.lpips:.4f}" if scores.lpips is not None else ""
    kd = f"   KID {scores.kid:.4f} ± {scores.kid_std:.4f}" if scores.kid is not None else ""
    console.print(
        f"{scores.split} split, {scores.images} images, {scores.direction}, {scores.size}: "
        f"L1 {scores.l1:.4f}   PSNR {scores.psnr:.2f} dB   SSIM {scores.ssim:.4f}{lp}{kd}   "
        f"checkerboard {scores.checkerboard:.2f}x the input's",
        soft_wrap=True,
    )


def _keyword(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


MODELS_OPTION = Annotated[
    list[str],
    typer.Option(
        "--model",
        "-m",
        help="Give it twice: the model to compare against, then the new one (names or .onnx files).",
        show_default=False,
    ),
]
OUT_OPTION = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", "--out", help="Keep the translations in this (empty) folder.", show_default=False
    ),
]


def model_command(model: str, data: str, out: Path | None, as_json: bool, **values: Any) -> None:
    """Unpaired: FID and KID of the model's translations against the real target domain, next to the
    untranslated inputs' (the baseline to beat), and the checkerboard score.

    Translates the source domain (test split if present, else train, which it says; --holdout: the held-back
    part of train) and compares with the real target images using the standard TF Inception pool3 features
    (cached by content).
    """
    from i2i.eval.unpaired import eval_unpaired

    options = given(values, UnpairedOptions)
    scores = eval_unpaired(model, data, out=out, on_stage=_stage_printer(as_json), **options)
    if as_json:
        print(json.dumps(scores.to_dict()))
        return
    note = " (no test split: these are training images)" if scores.split == "train" else ""
    console.print(
        f"{scores.split} split{note}, {scores.direction}: FID {scores.fid:.2f}   "
        f"KID {scores.kid_mean * 1000:.2f} ± {scores.kid_std * 1000:.2f} (x1e-3, over subsets)   "
        f"{scores.fake_count} translated vs {scores.real_count} real; untranslated: FID "
        f"{scores.untranslated_fid:.2f}   KID {scores.untranslated_kid * 1000:.2f} (x1e-3); KID ratio "
        f"{scores.kid_ratio:.2f} ± {scores.kid_ratio_se:.2f} (s.e. over the images); "
        f"checkerboard {scores.checkerboard:.2f}x the inputs'",
        soft_wrap=True,
    )


def style_command(as_json: bool, **values: Any) -> None:
    """Fast style: how much of the painting's style the stylised photos reach, and how much of each photo
    they keep. Give a fast-style model to run (--model) or a folder of finished images (--outputs: Gatys'
    `i2i stylize --style`, a fast model's `i2i stylize --model`, any tool) to compare methods on the same
    photos at the same size.

    Reports the Gram style distance to the painting left as a share of the unstylised photos' (lower is
    more stylised; ± is the jackknife standard error over the photos) on two networks: VGG16 (relu1_2 to
    relu4_3, the training loss network, which fast models and Gatys both minimise) and AlexNet (relu1 to
    relu5, an independent check neither optimises); the VGG16 relu2_2 content loss against each photo, the
    near-black share (output pixels with max channel < 25 where the photo's luminance > 60) and the
    checkerboard score. Score lossless (PNG) outputs: JPEG noise inflates the style distance.

    --against DIR scores reference finished images of the same photos too (e.g. Gatys') and prints the
    style left as a multiple of theirs on both networks (> 1x: less stylised than the reference; ± over the
    photos, paired), with their own shares and near-black share.
    """
    from i2i.eval.style import eval_style

    options = StyleEvalOptions(**given(values, StyleEvalOptions))
    scores = eval_style(**options.arguments(), on_stage=_stage_printer(as_json))
    if as_json:
        print(json.dumps(scores.to_dict()))
        return
    source = f"model {scores.model}" if scores.model is not None else f"outputs {scores.outputs}"
    console.print(
        f"{scores.images} photos at {scores.size} px, {source}, against {Path(scores.style).name}",
        soft_wrap=True,
    )
    console.print(
        f"  style left   VGG16 {100 * scores.style_ratio:.2f}% ± {100 * scores.style_ratio_se:.2f}% "
        f"(training loss network: {scores.style_loss:.3g} vs {scores.style_baseline:.3g} unstylised)   "
        f"AlexNet {100 * scores.style_ratio_alexnet:.1f}% ± {100 * scores.style_ratio_alexnet_se:.1f}% "
        "(independent check)",
        soft_wrap=True,
    )
    console.print(
        f"  content {scores.content:.3g} (relu2_2; unweighted: x1e5 and x1e10 for the training log's "
        f"terms)   near-black {100 * scores.near_black:.3f}%   checkerboard {scores.checkerboard:.2f}x "
        "the photos'",
        soft_wrap=True,
    )
    console.print(f"  per layer    {_layer_row(scores.style_ratio_layers, None)}", soft_wrap=True)
    if scores.against is not None:
        vgg, alexnet = scores.style_ratio_vs_against, scores.style_ratio_alexnet_vs_against
        own, own_alexnet = scores.against_style_ratio, scores.against_style_ratio_alexnet
        se, se_alexnet = scores.style_ratio_vs_against_se, scores.style_ratio_alexnet_vs_against_se
        console.print(
            f"  vs {scores.against}: VGG16 {vgg:.2f}x ± {se:.2f} "
            f"(its {100 * own:.2f}%)   AlexNet {alexnet:.2f}x ± {se_alexnet:.2f} "
            f"(its {100 * own_alexnet:.1f}%)   near-black {100 * scores.against_near_black:.3f}%",
            soft_wrap=True,
        )
        row = _layer_row(scores.style_ratio_layers, scores.against_style_ratio_layers)
        console.print(f"  per layer vs {scores.against}: {row}", soft_wrap=True)


def _layer_row(ratios: dict[str, float], reference: dict[str, float] | None) -> str:
    """``VGG16 relu1_2 3.0% ... | AlexNet relu1 14.7% ...``: each layer's style left, or (``reference``) as
    a multiple of the reference's."""
    groups: dict[str, list[str]] = {}
    for key, value in ratios.items():
        net, layer = key.split("/")
        cell = f"{value / reference[key]:.2f}x" if reference is not None else f"{100 * value:.1f}%"
        groups.setdefault({"vgg16": "VGG16", "alexnet": "AlexNet"}[net], []).append(f"{layer} {cell}")
    return " | ".join(f"{net} {' '.join(cells)}" for net, cells in groups.items())


def compare_command(models: list[str], data: str, as_json: bool, **values: Any) -> None:
    """Unpaired: is the second model closer to the target domain than the first? Both translate the same
    images; prints each KID ratio (as `eval model`) and their difference, second minus first, with its
    paired standard error.

    Two models scored on the same images differ far less by chance than either ratio's own ± suggests
    (both meet the same hard and easy inputs), so a difference of two or three of its standard errors is
    worth believing where two overlapping ± ranges would say nothing.
    """
    from i2i.errors import I2IError
    from i2i.eval.unpaired import compare_unpaired

    if len(models) != 2:
        raise I2IError(f"compare takes exactly two models (-m OLD -m NEW), got {len(models)}")
    options = given(values, UnpairedOptions)
    result = compare_unpaired(models[0], models[1], data, on_stage=_stage_printer(as_json), **options)
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    first, second = result.first, result.second
    console.print(
        f"{first.split}, {first.direction}: {first.fake_count} translated vs {first.real_count} real",
        soft_wrap=True,
    )
    for label, scores in (("first ", first), ("second", second)):
        console.print(
            f"  {label} {Path(scores.model).name}: KID ratio {scores.kid_ratio:.3f} ± "
            f"{scores.kid_ratio_se:.3f}   FID {scores.fid:.2f}   checkerboard {scores.checkerboard:.2f}x",
            soft_wrap=True,
        )
    console.print(
        f"  second - first: KID ratio {result.ratio_difference:+.3f} ± {result.ratio_difference_se:.3f} "
        "(paired s.e. over the images)",
        soft_wrap=True,
    )


def _json() -> inspect.Parameter:
    return inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOption)


# registered in this order: `i2i eval --help` lists them so
app.command("fid")(with_signature(fid_command, [*parameters(FolderOptions), _json()]))
app.command("paired")(
    with_signature(
        paired_command,
        [
            _keyword("model", ModelOption),
            _keyword("data", EvalDataOption),
            *parameters(PairedOptions),
            _json(),
        ],
    )
)
app.command("model")(
    with_signature(
        model_command,
        [
            _keyword("model", ModelOption),
            _keyword("data", EvalDataOption),
            inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=OUT_OPTION),
            *parameters(UnpairedOptions),
            _json(),
        ],
    )
)
app.command("style")(with_signature(style_command, [*parameters(StyleEvalOptions), _json()]))
app.command("compare")(
    with_signature(
        compare_command,
        [
            _keyword("models", MODELS_OPTION),
            _keyword("data", EvalDataOption),
            *parameters(UnpairedOptions),
            _json(),
        ],
    )
)
