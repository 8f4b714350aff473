"""Shared by the training benchmarks: interleaved step timing and the it/s table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import torch

# variant name -> (amp mode, channels_last)
VARIANTS: dict[str, tuple[str, bool]] = {
    "eager": ("none", False),
    "auto": ("auto", False),  # --amp auto: bf16 autocast in NCHW where bf16 units exist, else float32
    "channels_last": ("none", True),
    "bf16": ("bf16", False),
    "bf16+channels_last": ("bf16", True),
    "fp16": ("fp16", False),
    "compile": ("none", False),
}


def default_variants(device: torch.device, requested: Sequence[str] | None, compile_too: bool) -> list[str]:
    names = list(requested) if requested else ["eager", "auto", "channels_last", "bf16", "bf16+channels_last"]
    if requested is None and device.type == "cuda":
        names.append("fp16")
    if compile_too and "compile" not in names:
        names.append("compile")
    return names


def time_step(step: Callable[[], object], device: torch.device) -> float:
    """Seconds one call of ``step`` takes (synchronising CUDA around it)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def interleaved(
    names: Sequence[str], one_step: Callable[[str], float], steps: int, warmup: int
) -> dict[str, list[float]]:
    """Warm each variant up, then time them in turn, step by step, so outside load hits all alike."""
    for name in names:
        for _ in range(warmup):
            one_step(name)
    times: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(steps):
        for name in names:
            times[name].append(one_step(name))
    return times


def print_table(times: dict[str, list[float]]) -> None:
    """it/s (1 / median step time) per variant and the ratio to the first."""
    names = list(times)
    base = 1.0 / statistics.median(times[names[0]])
    print(f"{'variant':<22}{'it/s':>8}{'s/step':>9}{'vs ' + names[0]:>14}")
    for name in names:
        med = statistics.median(times[name])
        print(f"{name:<22}{1 / med:>8.3f}{med:>9.3f}{(1 / med) / base:>13.2f}x")
