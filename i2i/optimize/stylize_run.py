"""Runs Gatys style transfer over content files for the CLI: styles by path or bundled name, feature
network with fallback, per-image progress with the loss terms, intermediate saves, atomic writes. What a
run is asked is a :class:`~i2i.optimize.stylize_options.StylizeJob` (torch-free, re-exported here)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import torch
from rich.console import Console

from i2i.batch import job_notes, optimise_images
from i2i.imageio import from_float_chw, read_image, to_float_chw, write_image_atomic
from i2i.optimize.neural_style import (
    NeuralStyleConfig,
    StepInfo,
    StyleResult,
    blend_weights,
    fit_long_side,
    fit_schedule,
    stylize,
)
from i2i.optimize.style_images import resolve_style
from i2i.optimize.stylize_options import StylizeJob
from i2i.output_paths import plan_outputs, split_missing
from i2i.progress import StepProgress

__all__ = ["StylizeJob", "balance_line", "load_tensor", "run_stylize_job"]


def load_tensor(path: Path, long_side: int | None = None) -> torch.Tensor:
    """Image file -> (3, H, W) float in [0, 1]; resized (Lanczos) so the long side is ``long_side``."""
    img = read_image(path)
    if long_side is not None and max(img.size) != long_side:
        h, w = fit_long_side(img.height, img.width, long_side)
        img = img.resize((w, h), resample=1)  # LANCZOS
    return torch.from_numpy(to_float_chw(img))


def _intermediate_path(target: Path, step: int) -> Path:
    return target.with_name(f"{target.stem}.iter{step:04d}{target.suffix}")


def _write_losses(path: Path, history: list[StepInfo]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", "scale", "size", "iteration", "total", "content", "style", "tv"])
        for h in history:
            row = [h.step, h.scale, h.size, h.iteration]
            writer.writerow(row + [f"{h.losses[k]:.6g}" for k in ("total", "content", "style", "tv")])


def balance_line(config: NeuralStyleConfig) -> str:
    """The one line a run prints about its content/style balance: every weight used, the style
    normalisation, and which flag moves the balance which way."""
    norm = {
        "target": "style losses relative to each painting's own Gram size; none: the old unnormalised loss",
        "none": "unnormalised: the balance varies with the painting",
    }[config.style_norm]
    return (
        f"balance: --content-weight {config.content_weight:g}, --style-weight {config.style_weight:g} "
        f"(raise it for more of the painting, lower it to keep more of the photo), "
        f"--tv-weight {config.tv_weight:g}, --style-norm {config.style_norm} ({norm})"
    )


def run_stylize_job(job: StylizeJob, console: Console) -> list[tuple[Path, str]]:
    """Stylise every input; returns the (path, reason) of each input that failed.

    Ctrl-C writes the current image of the input in progress to its output path, says so, and re-raises
    :class:`~i2i.progress.Interrupted` (the CLI exits 130).
    """
    from i2i.amp import resolve_amp, select_device
    from i2i.features.vgg import load_vgg

    config = job.config

    def note(message: str) -> None:
        console.print(f"[yellow]note:[/] {message}", soft_wrap=True)

    blend_weights(len(job.styles), config.style_blend)  # a bad --style-blend fails the run, not each input
    inputs, failures = split_missing(job.inputs)
    resolved = [resolve_style(s, on_note=note) for s in job.styles]
    tag = "+".join(t for _, t in resolved)
    targets = plan_outputs(inputs, job.output, tag, job.overwrite, on_note=note)
    device = select_device(job.device)
    styles = [load_tensor(path) for path, _ in resolved]
    init_image = load_tensor(job.init_path) if job.init_path is not None else None

    def log(message: str) -> None:
        console.print(f"[dim]weights:[/] {message}", soft_wrap=True)

    amp = resolve_amp(job.amp, device)
    features = load_vgg(job.backbone, config.taps, job.backbone_weights, pool=job.pool, log=log).to(device)
    features = amp.module(features)
    styles_text = ", ".join(str(p) for p, _ in resolved)
    schedule = ", ".join(f"{config.iterations_at(i)} at {side} px" for i, side in enumerate(config.scales))
    precision = "float32" if amp.mode == "none" else f"{amp.mode} autocast + channels_last"
    console.print(
        f"stylizing with {styles_text} on {features.arch} ({device}, {precision}); content "
        f"{config.content_layer}, style {', '.join(f'{k}:{v:g}' for k, v in config.layer_weights.items())}; "
        f"{config.optimizer}: {schedule}",
        soft_wrap=True,
    )
    console.print(balance_line(config), soft_wrap=True)
    schedules: dict[Path, NeuralStyleConfig] = {}
    results: dict[Path, StyleResult] = {}
    started: dict[Path, float] = {}

    def steps(source: Path, content: torch.Tensor) -> int:
        own_side = max(content.shape[-2:])
        fitted = config if job.enlarge else fit_schedule(config, own_side)
        if fitted is not config:
            note(
                f"{source.name}: {own_side} px, stylised at its own size, not enlarged to "
                f"{config.scales[-1]} px (--size {config.scales[-1]} enlarges it)"
            )
        schedules[source] = fitted
        return fitted.total_iterations

    def optimise(source: Path, target: Path, content: torch.Tensor, progress: StepProgress) -> torch.Tensor:
        def on_step(info: StepInfo) -> None:
            terms = " ".join(f"{k} {v:.3g}" for k, v in info.losses.items() if k != "tv" or v)
            progress.update(info.step, f"{source.name} {info.size}px", terms)

        def on_save(info: StepInfo, image: torch.Tensor) -> None:
            path = _intermediate_path(target, info.step)
            write_image_atomic(from_float_chw(image.cpu().numpy()), path, overwrite=True)
            progress.print(f"saved {path}")

        started[source] = time.perf_counter()
        result = stylize(
            features, content, styles, schedules[source], init_image=init_image, on_step=on_step,
            on_save=on_save, amp=amp,
        )  # fmt: skip
        results[source] = result
        return result.image

    def written(source: Path, target: Path) -> None:
        result = results.pop(source)
        last = result.history[-1].losses
        elapsed = time.perf_counter() - started[source]
        console.print(
            f"{schedules[source].total_iterations} steps in {elapsed:.1f} s; final loss {last['total']:.4g} "
            f"(content {last['content']:.4g}, style {last['style']:.4g})"
        )
        if job.losses_csv is not None:
            _write_losses(job.losses_csv, result.history)
        print(target)  # the path, on stdout, for scripts

    return optimise_images(
        list(zip(inputs, targets, strict=True)),
        console,
        load=load_tensor,
        steps=steps,
        optimise=optimise,
        written=written,
        failures=failures,
        total_inputs=len(job.inputs),
        overwrite=job.overwrite,
        plain_progress=job.plain_progress,
        on_interrupt=print,
        notes=job_notes("stylize", job),
    )
