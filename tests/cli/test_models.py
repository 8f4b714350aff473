"""`i2i models list|show|add|remove|official`, `i2i translate -m NAME` without torch, and `i2i demo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PIL import Image
from typer.testing import CliRunner

from i2i.cli.models import app
from i2i.errors import I2IError
from i2i.zoo.manage import ship_onnx
from tests.zoo.helpers import PROVENANCE, tiny, zoo_env

__all__ = ["tiny", "zoo_env"]  # fixtures

# The real entry point and app, as installed, in a fresh interpreter; then the heavy modules it imported.
_RUNNER = """
import sys
from i2i.cli.main import run
sys.argv = ["i2i", *sys.argv[1:]]
try:
    run()
    code = 0
except SystemExit as exc:
    code = exc.code or 0
print("MODULES", "torch" in sys.modules, "onnxruntime" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def _i2i(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, *args], capture_output=True, text=True, cwd=cwd, timeout=120,
        env=dict(os.environ),
    )  # fmt: skip


def test_list_show_add_remove(zoo_env, tiny, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal or a pipe must not wrap a row
    runner = CliRunner()
    empty = runner.invoke(app, ["list"])
    assert empty.exit_code == 0 and "no named models installed" in empty.output
    ship_onnx("apple2orange", tiny.onnx_ab, licence="CC0-1.0", provenance=PROVENANCE, pair="apple2orange",
              quality={"fid": 12.5})  # fmt: skip
    added = runner.invoke(app, ["add", "mine", str(tiny.ckpt_ba), "--licence", "MIT"])  # exports first
    assert added.exit_code == 0, (added.output, added.exception)
    assert (zoo_env.user / "mine.onnx").is_file()
    listing = runner.invoke(app, ["list"])
    assert listing.exit_code == 0
    rows = [line for line in listing.output.splitlines() if "apple2orange" in line or "mine" in line]
    assert len(rows) == 2  # one line per model, whatever the width
    size_mb = f"{(zoo_env.weights / 'apple2orange.onnx').stat().st_size / 1e6:.1f}"
    assert rows[0].split() == ["apple2orange", "shipped", "cyclegan", "AtoB", "apple", "->", "orange",
                               "resnet_6blocks", size_mb, "MB", "fid", "12.5"]  # fmt: skip
    mine = ["mine", "user", "cyclegan", "BtoA", "orange", "->", "apple", "resnet_6blocks"]
    assert rows[1].split()[:8] == mine
    assert rows[1].endswith("-")  # no quality table
    assert "CC0-1.0" not in listing.output and "MIT" not in listing.output  # licences: `models show`
    as_json = runner.invoke(app, ["list", "--json"])
    doc = json.loads(as_json.stdout)
    by_name = {m["name"]: m for m in doc["models"]}
    assert by_name["apple2orange"]["licence"] == "CC0-1.0" and by_name["mine"]["licence"] == "MIT"
    assert by_name["apple2orange"]["quality"] == {"fid": 12.5}
    assert by_name["mine"]["size_bytes"] == (zoo_env.user / "mine.onnx").stat().st_size
    shown = runner.invoke(app, ["show", "apple2orange"])
    assert shown.exit_code == 0
    for text in ("verified", "ok", "licence", "CC0-1.0", "provenance.command", PROVENANCE["command"],
                 "quality.fid", "12.5"):  # fmt: skip
        assert text in shown.output, text
    dup = runner.invoke(app, ["add", "apple2orange", str(tiny.onnx_ab)])
    assert isinstance(dup.exception, I2IError) and "shipped model's name" in str(dup.exception)
    assert runner.invoke(app, ["remove", "mine"]).exit_code == 0
    assert not (zoo_env.user / "mine.onnx").exists()
    official = runner.invoke(app, ["official"])
    assert "style_monet" in official.output and "edges2shoes" in official.output


def test_translate_by_name_and_direction_without_torch(zoo_env, tiny, tmp_path):
    ship_onnx("apple2orange", tiny.onnx_ab, licence="CC0", provenance=PROVENANCE, pair="apple2orange")
    ship_onnx("orange2apple", tiny.onnx_ba, licence="CC0", provenance=PROVENANCE, pair="apple2orange")
    image = tmp_path / "in" / "a.png"
    image.parent.mkdir()
    Image.new("RGB", (20, 12), (200, 120, 30)).save(image)
    proc = _i2i("translate", "-m", "apple2orange", "--direction", "BtoA", str(image), str(tmp_path / "out"),
                "--no-progress")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "MODULES False True" in proc.stderr
    assert "orange2apple (cyclegan, BtoA)" in proc.stderr
    assert Image.open(tmp_path / "out" / "a.png").size == (20, 12)
    (zoo_env.weights / "orange2apple.onnx").write_bytes(b"tampered")
    bad = _i2i("translate", "-m", "orange2apple", str(image), str(tmp_path / "out2"))
    assert bad.returncode == 1 and "error: model 'orange2apple':" in bad.stderr and "sha256" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 2  # the error line, then the runner's MODULES line


def test_demo_fails_clearly_without_a_shipped_model_then_runs_offline(zoo_env, tiny, tmp_path):
    proc = _i2i("demo", str(tmp_path / "demo"))
    assert proc.returncode == 1
    assert "error: no shipped model for the demo:" in proc.stderr and "registry.toml" in proc.stderr
    ship_onnx("facades_tiny", tiny.onnx_ab, licence="CC0", provenance=PROVENANCE, samples="facades_labels")
    proc = _i2i("demo", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "MODULES False True" in proc.stderr
    outputs = sorted(p.name for p in (tmp_path / "i2i-demo").iterdir())
    assert outputs == ["val_12.png", "val_2.png", "val_3.png", "val_6.png"]
    assert Image.open(tmp_path / "i2i-demo" / "val_2.png").size == (256, 256)
    named = _i2i("demo", "-m", "facades_tiny", "--no-progress", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert sorted(p.name for p in (tmp_path / "i2i-demo" / "facades_tiny").iterdir()) == outputs


def _broken_copies(onnx_path, folder):
    """Two i2i exports whose headers read well but which cannot run: an operator no runtime knows, and a
    header that promises one input channel to a graph built for three."""
    import onnx

    from i2i.modelfile import HEADER_KEY

    unknown = onnx.load(str(onnx_path))
    unknown.graph.node[0].op_type = "NoSuchOperator"
    unknown_path = folder / "unknown_op.onnx"
    onnx.save(unknown, str(unknown_path))

    channels = onnx.load(str(onnx_path))
    for prop in channels.metadata_props:
        if prop.key == HEADER_KEY:
            header = json.loads(prop.value)
            header["io"]["in_channels"] = 1
            prop.value = json.dumps(header)
    channels_path = folder / "wrong_channels.onnx"
    onnx.save(channels, str(channels_path))
    return unknown_path, channels_path


def test_add_refuses_a_graph_that_cannot_run_and_registers_nothing(zoo_env, tiny, tmp_path):
    unknown, channels = _broken_copies(tiny.onnx_ab, tmp_path)
    for path, reason in (
        (unknown, "onnxruntime cannot load this model"),
        (channels, "onnxruntime failed on a 8x8 test image"),
    ):
        proc = _i2i("models", "add", "mine", str(path))
        assert proc.returncode == 1, proc.stderr
        message = " ".join(proc.stderr.split("MODULES")[0].split())
        assert message.startswith(f"error: {path}: cannot be registered: {reason}"), message
        assert "re-export it from its checkpoint with `i2i export CHECKPOINT`" in message
        assert "Traceback" not in proc.stderr
    assert not (zoo_env.user / "mine.onnx").exists()
    listing = _i2i("models", "list", "--json")
    assert "mine" not in {m["name"] for m in json.loads(listing.stdout)["models"]}
    good = _i2i("models", "add", "mine", str(tiny.onnx_ab))
    assert good.returncode == 0, good.stderr
