"""Runs DeepDream over a list of files for the CLI: backbone, resizing, progress, atomic writes, failures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console

from i2i.amp import select_device
from i2i.errors import I2IError
from i2i.imageio import from_float_chw, read_image, to_float_chw, write_image_atomic
from i2i.optimize.deepdream import PRESETS, DreamConfig, dream, octave_sizes, parse_layers
from i2i.optimize.progress import Interrupted, StepProgress
from i2i.output_paths import failure_lines, plan_outputs, split_missing


@dataclass(frozen=True)
class DreamJob:
    """Everything `i2i dream` was asked to do."""

    inputs: tuple[Path, ...]
    output: Path | None = None
    preset: str = "chollet"
    layers: str | None = None
    octaves: int = 4
    octave_scale: float = 1.4
    steps: int = 20
    step_size: float = 0.01
    max_loss: float | None = None
    jitter: int = 32
    tile: int | None = None
    size: int | None = None
    backbone: str = "inception_v3"
    backbone_weights: Path | None = None
    seed: int = 0
    device: str = "auto"
    overwrite: bool = False
    amp: str = "auto"
    plain_progress: bool | None = None  # None: plain lines when the console is no terminal


def layer_weights(job: DreamJob) -> dict[str, float]:
    from i2i.optimize.dream_backbones import VGG_DEFAULT_LAYERS

    if job.layers:
        return parse_layers(job.layers)
    if job.backbone.startswith("vgg"):
        return dict(VGG_DEFAULT_LAYERS)
    if job.preset not in PRESETS:
        raise I2IError(f"unknown preset {job.preset!r}; valid: {', '.join(PRESETS)}")
    return dict(PRESETS[job.preset])


def _load_input(path: Path, size: int | None) -> torch.Tensor:
    img = read_image(path)
    if size is not None:
        scale = size / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), resample=3)
    return torch.from_numpy(to_float_chw(img)).unsqueeze(0)


def run_dream_job(job: DreamJob, console: Console) -> list[tuple[Path, str]]:
    """Dream on every input; returns the (path, reason) of each input that failed.

    Ctrl-C writes the current image of the input in progress (at its current octave's size) to its
    output path, says so, and re-raises :class:`~i2i.optimize.progress.Interrupted` (the CLI exits 130).
    """
    from i2i.amp import resolve_amp
    from i2i.optimize.dream_backbones import load_dream_features

    weights = layer_weights(job)
    config = DreamConfig(
        layers=weights,
        octaves=job.octaves,
        octave_scale=job.octave_scale,
        steps=job.steps,
        step_size=job.step_size,
        max_loss=job.max_loss,
        jitter=job.jitter,
        tile=job.tile,
    )
    inputs, failures = split_missing(job.inputs)
    targets = plan_outputs(
        inputs,
        job.output,
        "dream",
        job.overwrite,
        on_note=lambda message: console.print(f"[yellow]note:[/] {message}", soft_wrap=True),
    )
    device = select_device(job.device)
    amp = resolve_amp(job.amp, device)
    features = load_dream_features(job.backbone, list(weights), job.backbone_weights, console).to(device)
    features = amp.module(features)
    layer_text = ", ".join(f"{k}:{v:g}" for k, v in weights.items())
    precision = "float32" if amp.mode == "none" else f"{amp.mode} autocast + channels_last"
    console.print(
        f"dreaming with {job.backbone} layers {layer_text} on {device} ({precision})", soft_wrap=True
    )

    for _path, reason in failures:
        console.print(f"[red]skipped[/] {reason}")
    for source, target in zip(inputs, targets, strict=True):
        try:
            image = _load_input(source, job.size).to(device)
        except I2IError as err:
            failures.append((source, str(err)))
            console.print(f"[red]skipped[/] {err}")
            continue
        sizes = octave_sizes(*image.shape[-2:], config.octaves, config.octave_scale)
        total = len(sizes) * config.steps
        with StepProgress(console, source.name, total, plain=job.plain_progress) as progress:

            def on_step(
                octave: int, step: int, loss: float, progress=progress, name=source.name, n=len(sizes)
            ) -> None:
                label = f"{name} octave {octave + 1}/{n}"
                progress.update(octave * config.steps + step + 1, label, f"loss {loss:.4f}")

            generator = torch.Generator().manual_seed(job.seed)
            try:
                result = dream(features, image, config, generator, on_step, amp=amp)
            except Interrupted as stop:
                write_image_atomic(from_float_chw(stop.image[0].numpy()), target, overwrite=True)
                console.print(
                    f"interrupted after {stop.step} of {total} steps: wrote the current image to {target}",
                    soft_wrap=True,
                )
                raise
        write_image_atomic(from_float_chw(result[0].cpu().numpy()), target, overwrite=job.overwrite)
        console.print(f"wrote {target}")
    if failures:
        for line in failure_lines(failures, len(job.inputs)):
            console.print(line, soft_wrap=True, highlight=False)
    return failures
