"""CPU feature detection for the auto precision choices (no real hardware assumed)."""

from __future__ import annotations

import pytest

from i2i import accel

X86 = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480C
flags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_tile amx_bf16 amx_int8

processor\t: 1
model name\t: ignored second core
flags\t\t: fpu
"""


def test_parse_cpuinfo_reads_first_model_and_flags():
    info = accel.parse_cpuinfo(X86)
    assert info.model == "Intel(R) Xeon(R) Platinum 8480C"
    assert {"avx512_bf16", "amx_bf16", "amx_int8"} <= info.flags and "fpu" in info.flags
    assert info.bf16_flags == ["AMX-BF16", "AVX512-BF16"]


def test_parse_cpuinfo_arm_features_and_no_bf16():
    info = accel.parse_cpuinfo("processor : 0\nFeatures : fp asimd sve\n")
    assert info.model == "" and info.flags == frozenset({"fp", "asimd", "sve"}) and info.bf16_flags == []
    assert accel.parse_cpuinfo("").flags == frozenset()


@pytest.mark.parametrize(("flags", "env", "expected"), [
    ("avx512_bf16", None, True),
    ("amx_bf16", None, True),
    ("avx2 avx512f", None, False),
    ("avx512_bf16", "0", False),
    ("avx2", "1", True),
])  # fmt: skip
def test_fast_bf16_from_flags_and_override(monkeypatch, flags, env, expected):
    monkeypatch.setattr(accel, "cpu_info", lambda: accel.CpuInfo("test cpu", frozenset(flags.split())))
    if env is None:
        monkeypatch.delenv(accel.BF16_ENV, raising=False)
    else:
        monkeypatch.setenv(accel.BF16_ENV, env)
    assert accel.cpu_has_fast_bf16() is expected


def test_describe_cpu_names_the_bf16_features(monkeypatch):
    monkeypatch.setattr(accel, "cpu_info", lambda: accel.CpuInfo("Xeon", frozenset({"avx512_bf16"})))
    assert accel.describe_cpu() == "Xeon (AVX512-BF16)"
    monkeypatch.setattr(accel, "cpu_info", lambda: accel.CpuInfo("Old", frozenset({"avx2"})))
    assert accel.describe_cpu() == "Old (no fast bf16)"
