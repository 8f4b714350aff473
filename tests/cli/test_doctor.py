"""`i2i doctor`: a report of this install that never fails for something missing."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from i2i import __version__
from i2i.accel import cpu_info
from i2i.cli.main import app


def test_doctor_reports_versions_cpu_defaults_and_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("I2I_FEATURES_CACHE", str(tmp_path / "features"))
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "vgg16_features.pt").write_bytes(b"")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["i2i"]["version"] == __version__
    assert ("AVX512-BF16" in data["cpu"]["features"]) == ("avx512_bf16" in cpu_info().flags)
    assert "CPUExecutionProvider" in data["onnxruntime"]["providers"]
    assert data["defaults"]["train --amp auto"].split(" on ")[0] in ("float32, NCHW", "bf16 autocast, NCHW")
    assert data["folders"]["feature weights"] == str(tmp_path / "features")
    assert data["feature weights"]["vgg16"] == "cached"
    assert data["feature weights"]["vgg19"].startswith("not cached")
    assert "apple2orange" in data["named models"]

    text = CliRunner().invoke(app, ["doctor"])
    assert text.exit_code == 0 and "train --amp auto: " in text.stdout and "translate: " in text.stdout
