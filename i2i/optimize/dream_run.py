"""Runs DeepDream over a list of files for the CLI: backbone, resizing, progress, atomic writes, failures."""

from __future__ import annotations

from pathlib import Path

import torch
from rich.console import Console

from i2i.amp import select_device
from i2i.batch import job_notes, optimise_images
from i2i.imageio import read_image, to_float_chw
from i2i.optimize.deepdream import dream, octave_sizes
from i2i.optimize.dream_options import DreamJob
from i2i.output_paths import plan_outputs, split_missing
from i2i.progress import StepProgress


def _load_input(path: Path, size: int | None) -> torch.Tensor:
    img = read_image(path)
    if size is not None:
        scale = size / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), resample=3)
    return torch.from_numpy(to_float_chw(img)).unsqueeze(0)


def run_dream_job(job: DreamJob, console: Console) -> list[tuple[Path, str]]:
    """Dream on every input; returns the (path, reason) of each input that failed.

    Ctrl-C writes the current image of the input in progress (at its current octave's size) to its
    output path, says so, and re-raises :class:`~i2i.progress.Interrupted` (the CLI exits 130).
    """
    from i2i.amp import resolve_amp
    from i2i.optimize.dream_backbones import load_dream_features

    config = job.config
    weights = dict(config.layers)
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

    def steps(source: Path, image: torch.Tensor) -> int:
        return len(octave_sizes(*image.shape[-2:], config.octaves, config.octave_scale)) * config.steps

    def optimise(source: Path, target: Path, image: torch.Tensor, progress: StepProgress) -> torch.Tensor:
        n = len(octave_sizes(*image.shape[-2:], config.octaves, config.octave_scale))

        def on_step(octave: int, step: int, loss: float) -> None:
            label = f"{source.name} octave {octave + 1}/{n}"
            progress.update(octave * config.steps + step + 1, label, f"loss {loss:.4f}")

        generator = torch.Generator().manual_seed(job.seed)
        return dream(features, image, config, generator, on_step, amp=amp).cpu()

    return optimise_images(
        list(zip(inputs, targets, strict=True)),
        console,
        load=lambda source: _load_input(source, job.size).to(device),
        steps=steps,
        optimise=optimise,
        written=lambda source, target: console.print(f"wrote {target}"),
        failures=failures,
        total_inputs=len(job.inputs),
        overwrite=job.overwrite,
        plain_progress=job.plain_progress,
        notes=job_notes("dream", job),
    )
