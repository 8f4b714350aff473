"""Quality gates: which numbers a task needs, how a failure is refused or recorded, and the CLI refusing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from i2i.cli.models import app
from i2i.errors import I2IError
from i2i.zoo.gates import gate_failures, gated_quality, recorded_failures
from tests.zoo.helpers import PROVENANCE, tiny, zoo_env

__all__ = ["tiny", "zoo_env"]  # fixtures

GOOD_CYCLEGAN = {"KID_ratio": 0.55, "checkerboard": 1.2, "held_out": "trainA: a.jpg; trainB: b.jpg"}


def test_each_task_needs_its_own_numbers():
    assert gate_failures("cyclegan", GOOD_CYCLEGAN) == {}
    assert gate_failures("cyclegan", {**GOOD_CYCLEGAN, "KID_ratio": 0.6}) == {}  # <= is inclusive
    assert gate_failures("cyclegan", {**GOOD_CYCLEGAN, "KID_ratio": 1.39}) == {
        "KID_ratio": "KID_ratio 1.39 > 0.6"
    }
    unseen = gate_failures("cut", {"KID_ratio": 0.5, "checkerboard": 1.0})
    assert list(unseen) == ["KID_ratio"] and "held_out" in unseen["KID_ratio"]
    assert gate_failures("pix2pix", {"KID": 0.2, "LPIPS_vgg": 0.607, "checkerboard": 14.4}) == {
        "LPIPS_vgg": "LPIPS_vgg 0.607 > 0.55",
        "checkerboard": "checkerboard 14.4 > 1.5",
    }
    assert gate_failures("fast_style", {"style_left_vs_gatys": 1.5, "style_left_alexnet_vs_gatys": 1.5}) == {
        "near_black_percent": "near_black_percent not measured"
    }
    assert gate_failures(
        "fast_style",
        {"style_left_vs_gatys": 1.51, "style_left_alexnet_vs_gatys": 1.2, "near_black_percent": 0.1},
    ) == {
        "near_black_percent": "near_black_percent 0.1 >= 0.1",  # strictly below
        "style_left_vs_gatys": "style_left_vs_gatys 1.51 > 1.5",
    }
    # VGG16 is the fast model's training network: its ratio alone does not pass a model
    assert gate_failures("fast_style", {"style_left_vs_gatys": 1.1, "near_black_percent": 0.05}) == {
        "style_left_alexnet_vs_gatys": "style_left_alexnet_vs_gatys not measured"
    }
    assert gate_failures(
        "fast_style",
        {"style_left_vs_gatys": 1.1, "style_left_alexnet_vs_gatys": 1.72, "near_black_percent": 0.05},
    ) == {"style_left_alexnet_vs_gatys": "style_left_alexnet_vs_gatys 1.72 > 1.5"}
    # the share of the painting's style left is no gate by itself: it depends on the painting
    assert "style_left_vs_gatys" in gate_failures("fast_style", {"style_left_percent": 5.0})


def test_a_failing_table_is_refused_or_shipped_with_its_reason_recorded():
    with pytest.raises(I2IError, match=r"KID_ratio not measured; checkerboard not measured.*--force REASON"):
        gated_quality("cyclegan", {"FID": 231.0})
    table = gated_quality("cyclegan", {"FID": 231.0}, force="CPU stand-in, retrain pending")
    assert table["gate_override"] == "CPU stand-in, retrain pending"
    assert recorded_failures(table) == ["KID_ratio", "checkerboard"]
    assert gated_quality("cyclegan", GOOD_CYCLEGAN, force="unused") == GOOD_CYCLEGAN  # nothing to record
    # an old override is recomputed, never carried over
    assert "gate_override" not in gated_quality("cyclegan", {**GOOD_CYCLEGAN, "gate_override": "old"})


def test_models_ship_refuses_a_model_that_misses_a_gate(zoo_env, tiny):
    runner = CliRunner()
    args = ["ship", "apple2orange", str(tiny.onnx_ab), "--licence", "CC0", "--command", PROVENANCE["command"],
            "--hardware", "test", "--quality", "FID=12.5"]  # fmt: skip
    refused = runner.invoke(app, args)
    assert isinstance(refused.exception, I2IError) and "quality gates are not met" in str(refused.exception)
    assert not (zoo_env.weights / "apple2orange.onnx").exists()
    shipped = runner.invoke(app, [*args, "--force", "tiny test model"])
    assert shipped.exit_code == 0, shipped.output
    text = (zoo_env.weights / "registry.toml").read_text()
    assert 'gate_override = "tiny test model"' in text and 'gates_failed = "KID_ratio, checkerboard"' in text
