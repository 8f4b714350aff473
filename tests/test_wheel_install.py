"""A real, non-editable install carries the shipped models and bundled assets.

Builds the wheel from this checkout, installs it into a fresh folder outside the source tree, and runs the
first-use commands there in subprocesses that import i2i from that folder only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(target folder, environment whose PYTHONPATH puts the installed wheel first)."""
    pytest.importorskip("setuptools")
    work = tmp_path_factory.mktemp("wheel")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work),
         str(REPO)],
        cwd=work,
        env=dict(os.environ),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = work.glob("i2i-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"i2i/weights/registry.toml", "i2i/weights/apple2orange.onnx", "i2i/weights/starry.onnx"} <= names
    target = work / "site"
    done = _run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        cwd=work,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "I2I_MODELS_DIR": str(work / "user-models"),
        "XDG_CACHE_HOME": str(work / "cache"),
    }
    env.pop("I2I_WEIGHTS_DIR", None)
    return target, env


def _i2i(installed, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    _, env = installed
    return _run([sys.executable, "-m", "i2i.cli.main", *args], cwd=cwd, env=env)


@pytest.mark.slow
def test_wheel_install_runs_the_shipped_models(installed, tmp_path):
    target, env = installed
    where = _run([sys.executable, "-c", "import i2i, sys; print(i2i.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).resolve().is_relative_to(target.resolve())  # not the checkout
    before = _package_files(target)

    demo = _i2i(installed, tmp_path, "demo", "--no-progress")
    assert demo.returncode == 0, demo.stderr
    assert len(list((tmp_path / "i2i-demo").glob("*.png"))) == 4

    apples = target / "i2i" / "assets" / "samples" / "apples"
    translated = _i2i(installed, tmp_path, "translate", "-m", "apple2orange", str(apples), "oranges",
                      "--no-progress")  # fmt: skip
    assert translated.returncode == 0, translated.stderr
    assert "4 translated" in translated.stderr
    assert "fetch-official apple2orange" in translated.stderr  # the one-line note on shipped stand-ins

    styled = _i2i(installed, tmp_path, "stylize", "--model", "starry", str(apples), "starry")
    assert styled.returncode == 0, styled.stderr
    assert len(list((tmp_path / "starry").glob("*.jpg"))) == 4

    listing = _i2i(installed, tmp_path, "models", "list")
    assert listing.returncode == 0 and str(target / "i2i" / "weights") in listing.stderr
    assert {line.split()[0] for line in listing.stdout.splitlines()[1:]} >= {
        "facades_label2photo",
        "apple2orange",
        "orange2apple",
        "starry",
    }
    assert _package_files(target) == before  # nothing was written into the installed package


def _package_files(target: Path) -> set[Path]:
    return {p for p in (target / "i2i").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
