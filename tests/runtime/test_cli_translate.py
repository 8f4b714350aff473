"""`i2i translate` end to end in a fresh interpreter: no torch imported, exit codes, one-line messages."""

from __future__ import annotations

import subprocess
import sys

from PIL import Image

# Runs the real entry point, then reports which heavy modules the process imported.
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


def _i2i(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd,
        timeout=120,
    )


def test_help_imports_neither_torch_nor_onnxruntime():
    proc = _i2i("translate", "--help")
    assert proc.returncode == 0 and "--tile" in proc.stdout
    assert "MODULES False False" in proc.stderr


def test_translate_folder_without_torch_and_nonzero_exit_on_bad_file(tmp_path, tiny_model, make_image):
    src = tmp_path / "in"
    make_image(src / "a.png", (21, 17))
    make_image(src / "nested/b.jpg", (16, 16))
    (src / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    out = tmp_path / "out"
    proc = _i2i(
        "translate", "-m", str(tiny_model.path), str(src), str(out), "--format", "jpg", "--no-progress"
    )
    assert "MODULES False True" in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert f"failed: {src / 'bad.png'}: " in proc.stderr
    assert "2 translated, 0 skipped, 1 failed" in proc.stderr
    assert Image.open(out / "a.jpg").size == (21, 17) and (out / "nested/b.jpg").is_file()

    good = _i2i(
        "translate", "-m", str(tiny_model.path), "-", str(out), "--overwrite", stdin=f"{src / 'a.png'}\n"
    )
    assert good.returncode == 0, good.stderr
    assert "1 translated, 0 skipped, 0 failed" in good.stderr and "on cpu" in good.stderr


def test_user_errors_are_one_line_with_exit_1(tmp_path, tiny_model, make_image):
    image = make_image(tmp_path / "x.png", (8, 8))
    cases = [
        (["-m", "no_such_model", str(image), str(tmp_path / "o")], "error: unknown model 'no_such_model'"),
        (["-m", str(tiny_model.path), str(image), str(tmp_path)], "output would overwrite an input"),
        (["-m", str(tiny_model.path), str(tmp_path / "empty"), str(tmp_path / "o")], "failed:"),
        (["-m", str(tiny_model.path), str(image)], "give at least one input and the output folder"),
        (
            ["-m", str(tiny_model.path), "--tile", "32", str(image), str(tmp_path / "o")],
            "smaller than --tile",
        ),
        (["-m", str(tiny_model.path), "--direction", "BtoA", str(image), str(tmp_path / "o")], "not BtoA"),
    ]
    for args, message in cases:
        proc = _i2i("translate", *args)
        assert proc.returncode == 1, (args, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_runtime_and_precision_flags_are_reported(tmp_path, tiny_model, make_image):
    image = make_image(tmp_path / "x.png", (12, 8))
    proc = _i2i(
        "translate", "-m", str(tiny_model.path), "--runtime", "onnxruntime", "--precision", "fp32",
        str(image), str(tmp_path / "o"), "--no-progress",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "runtime: onnxruntime " in proc.stderr and ", fp32" in proc.stderr
    assert "MODULES False True" in proc.stderr
    ov = _i2i(
        "translate", "-m", str(tiny_model.path), "--runtime", "openvino", "--precision", "fp32",
        str(image), str(tmp_path / "o2"), "--no-progress",
    )  # fmt: skip
    assert ov.returncode == 0, ov.stderr
    assert "runtime: openvino " in ov.stderr and "MODULES False" in ov.stderr
    for args, message in [
        (["--runtime", "tvm"], "error: unknown runtime 'tvm'"),
        (["--runtime", "onnxruntime", "--precision", "bf16"], "for bf16 use --runtime openvino"),
    ]:
        bad = _i2i("translate", "-m", str(tiny_model.path), *args, str(image), str(tmp_path / "o3"))
        assert bad.returncode == 1 and message in bad.stderr, bad.stderr
