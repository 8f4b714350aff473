"""`i2i translate` input scanning and output folders (issue 17.5): unreadable folders are failures,
a killed run's temporary files are cleaned up, an output folder inside the input is not scanned, and
names are validated with a full match."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from i2i.errors import I2IError
from i2i.runtime.inputs import collect_sources
from i2i.zoo.entry import check_name
from tests.serve.helpers import conv_model, image_bytes


def _images(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(image_bytes((8, 8)))


def test_an_unreadable_folder_is_a_problem_not_silence(tmp_path, monkeypatch):
    _images(tmp_path / "in", "a.png")
    _images(tmp_path / "in" / "locked", "b.png")
    locked = str(tmp_path / "in" / "locked")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == locked:  # what a folder without read permission gives (tests run as root)
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    sources, problems = collect_sources([str(tmp_path / "in")])
    assert [s.relative.as_posix() for s in sources] == ["a.png"]
    assert [(p.path, p.reason) for p in problems] == [
        (Path(locked), "cannot read folder (Permission denied)")
    ]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _translate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "i2i.cli.main", "translate", "--no-progress", "--threads", "1", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_output_inside_input_resumes_and_orphans_are_removed(tmp_path):
    model = conv_model(tmp_path / "m.onnx", "swap", task="pix2pix", name="m")
    src = tmp_path / "photos"
    _images(src, "a.png", "b.png")
    out = src / "translated"

    first = _translate("-m", str(model), str(src), str(out))
    assert first.returncode == 0, first.stdout + first.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]

    orphan = out / f".c.png.{_dead_pid()}-0123456789ab.tmp"  # left by a killed run
    live = out / f".c.png.{os.getpid()}-0123456789ab.tmp"  # a running writer's file: kept
    orphan.write_bytes(b"half")
    live.write_bytes(b"half")
    _images(src, "c.png")
    second = _translate("-m", str(model), str(src), str(out))
    text = " ".join((second.stdout + second.stderr).split())
    assert second.returncode == 0, text
    assert "1 translated, 2 skipped" in text  # its own outputs were not taken as inputs
    assert not orphan.exists() and live.exists()
    assert sorted(p.name for p in out.iterdir()) == [live.name, "a.png", "b.png", "c.png"]


@pytest.mark.parametrize("name", ["good\n", "good\r", "", "-x", "a b", "x" * 65, "caf\u00e9"])
def test_model_names_must_match_in_full(name):
    with pytest.raises(I2IError, match="invalid model name"):
        check_name(name)
    assert check_name("good_name-2") == "good_name-2"
