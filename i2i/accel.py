"""What this machine's CPU can do fast, read from ``/proc/cpuinfo`` (torch-free, onnxruntime-free).

bf16 matters most: Intel AMX (``amx_bf16``, Sapphire Rapids and later) and AVX512-BF16 (``avx512_bf16``,
Cooper Lake, Sapphire Rapids, AMD Zen 4) run bfloat16 matrix work several times faster than float32. On
CPUs without them, bf16 is emulated and slower than float32, so "auto" precision must detect, never
assume. Where ``/proc/cpuinfo`` does not exist (macOS, Windows) no flag is reported and auto stays float32.

``I2I_CPU_BF16=0`` (or ``1``) overrides the detection, e.g. to compare both paths on one machine.
"""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
BF16_ENV = "I2I_CPU_BF16"

#: Flags that make bfloat16 matrix work fast, best first, with the names reports use.
BF16_FLAGS = {"amx_bf16": "AMX-BF16", "avx512_bf16": "AVX512-BF16"}


@dataclass(frozen=True)
class CpuInfo:
    """``model``: the CPU's marketing name ('' when unknown); ``flags``: its feature flags (lower case)."""

    model: str
    flags: frozenset[str]

    @property
    def bf16_flags(self) -> list[str]:
        """Report names of the fast-bf16 features present ('AMX-BF16', 'AVX512-BF16'), best first."""
        return [label for flag, label in BF16_FLAGS.items() if flag in self.flags]


def parse_cpuinfo(text: str) -> CpuInfo:
    """The first processor's model name and flags from ``/proc/cpuinfo`` text (x86 ``flags`` or Arm
    ``Features`` lines)."""
    model, flags = "", frozenset[str]()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        if key == "model name" and not model:
            model = " ".join(value.split())
        elif key in ("flags", "features") and not flags:
            flags = frozenset(value.lower().split())
    return CpuInfo(model, flags)


@functools.lru_cache(maxsize=1)
def cpu_info() -> CpuInfo:
    """This machine's :class:`CpuInfo` (empty flags where ``/proc/cpuinfo`` cannot be read)."""
    try:
        info = parse_cpuinfo(CPUINFO.read_text(errors="replace"))
    except OSError:
        info = CpuInfo("", frozenset())
    return CpuInfo(info.model or platform.processor() or platform.machine(), info.flags)


def cpu_has_fast_bf16() -> bool:
    """True when the CPU has AMX-BF16 or AVX512-BF16 (or ``I2I_CPU_BF16`` says so)."""
    override = os.environ.get(BF16_ENV, "").strip()
    if override in ("0", "1"):
        return override == "1"
    return bool(cpu_info().bf16_flags)


def describe_cpu() -> str:
    """One phrase for run summaries: 'Intel Xeon ... (AVX512-BF16)' or '... (no fast bf16)'."""
    info = cpu_info()
    features = ", ".join(info.bf16_flags) or "no fast bf16"
    return f"{info.model or 'CPU'} ({features})"
