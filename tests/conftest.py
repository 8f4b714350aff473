"""Shared test fixtures: where ../shared is, and skips when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The workplace's shared folder: $I2I_SHARED, else ../shared beside the repository."""
    return Path(os.environ.get("I2I_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture
def shared_fixtures() -> Path:
    path = shared_dir() / "fixtures" / "reference_networks"
    if not path.is_dir():
        pytest.skip(f"reference fixtures not found at {path} (set I2I_SHARED to the shared folder)")
    return path


@pytest.fixture
def shared_data() -> Path:
    path = shared_dir() / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set I2I_SHARED to the shared folder)")
    return path


@pytest.fixture(autouse=True)
def _onnxruntime_unless_asked(monkeypatch):
    """`--runtime auto` means onnxruntime in tests (tests of the runtime choice and of OpenVINO ask for it).

    OpenVINO inference run through the translate pipeline, followed in the same process by a fork (a torch
    DataLoader with workers) and a subprocess with pipes, crashes that process (SIGSEGV in the parent; seen
    with openvino 2026.4.1). The pytest process does all three across tests; `i2i translate` never forks.
    """
    monkeypatch.setenv("I2I_RUNTIME", "onnxruntime")


@pytest.fixture(autouse=True)
def _private_sha256_lock(tmp_path_factory, monkeypatch):
    """Every test records download pins in its own lock file, never the user's (see i2i.pins)."""
    monkeypatch.setenv("I2I_SHA256_LOCK", str(tmp_path_factory.mktemp("pins") / "sha256.lock"))
