"""`i2i translate` end to end in a fresh interpreter: no torch imported, exit codes, one-line messages."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
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
    for args, code, message in [
        (["--runtime", "tvm"], 2, "'tvm' is not one of"),  # a usage error: click lists the valid ones
        (["--runtime", "onnxruntime", "--precision", "bf16"], 1, "for bf16 use --runtime openvino"),
    ]:
        bad = _i2i("translate", "-m", str(tiny_model.path), *args, str(image), str(tmp_path / "o3"))
        assert bad.returncode == code and message in bad.stderr, bad.stderr


def test_special_files_named_like_images_are_one_line_each_and_the_rest_translates(
    tmp_path, tiny_model, make_image
):
    """A FIFO (which a plain open would block on forever), a symlink loop, a broken symlink and a folder
    named like an image, in the input folder and given directly: one line each, the images translate."""
    src = tmp_path / "in"
    make_image(src / "a.png", (21, 17))
    make_image(src / "b.jpg", (16, 16))
    os.mkfifo(src / "x.jpg")
    (src / "loop.jpg").symlink_to("loop2.jpg")
    (src / "loop2.jpg").symlink_to("loop.jpg")
    (src / "gone.png").symlink_to("missing.png")
    (src / "c.png").symlink_to("a.png")  # a symlink to an image is an image
    (src / "d.png").mkdir()  # a folder named like an image is a folder, searched like any other
    out = tmp_path / "out"
    direct = [str(src / "x.jpg"), str(src / "loop.jpg")]
    proc = _i2i("translate", "-m", str(tiny_model.path), str(src), *direct, str(out), "--no-progress")
    assert proc.returncode == 1, proc.stderr
    failed = sorted(line for line in proc.stderr.splitlines() if line.startswith("failed:"))
    assert failed == [
        f"failed: {src / 'gone.png'}: broken symlink (its target does not exist)",
        f"failed: {src / 'loop.jpg'}: symlink loop (too many levels of symbolic links)",
        f"failed: {src / 'loop.jpg'}: symlink loop (too many levels of symbolic links)",
        f"failed: {src / 'loop2.jpg'}: symlink loop (too many levels of symbolic links)",
        f"failed: {src / 'x.jpg'}: not a regular file: a FIFO (named pipe)",
        f"failed: {src / 'x.jpg'}: not a regular file: a FIFO (named pipe)",
    ]
    assert "3 translated, 0 skipped, 6 failed" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.jpg", "c.png"]
    assert "Traceback" not in proc.stderr


def test_reading_a_fifo_fails_at_once_instead_of_blocking(tmp_path):
    """The image reader every command shares opens non-blocking and checks the open file's kind."""
    from i2i.errors import ImageReadError
    from i2i.imageio import list_images, read_image

    fifo = tmp_path / "x.jpg"
    os.mkfifo(fifo)
    (tmp_path / "loop.jpg").symlink_to("loop.jpg")
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_image(fifo)
        except BaseException as err:
            outcome.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # blocked in open(): give it a writer so the thread can end, then fail
        os.close(os.open(fifo, os.O_WRONLY))
        pytest.fail("read_image blocked on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], ImageReadError), outcome
    assert str(outcome[0]) == f"{fifo}: not a regular file: a FIFO (named pipe)"
    with pytest.raises(ImageReadError, match=r"loop\.jpg: symlink loop"):
        read_image(tmp_path / "loop.jpg")
    images, skipped = list_images(tmp_path)
    assert images == [] and [reason for _, reason in skipped] == [
        "symlink loop (too many levels of symbolic links)",
        "not a regular file: a FIFO (named pipe)",
    ]


def test_inputs_are_checked_before_the_model_loads_and_ignored_files_are_counted(
    tmp_path, tiny_model, make_image
):
    missing = _i2i(
        "translate", "-m", str(tmp_path / "no_model.onnx"), str(tmp_path / "nope"), str(tmp_path / "o")
    )
    assert missing.returncode == 1
    lines = [line for line in missing.stderr.splitlines() if not line.startswith("MODULES")]
    assert lines == [
        f"failed: {tmp_path / 'nope'}: no such file or folder",
        "0 translated, 0 skipped, 1 failed",
    ]
    assert "MODULES False False" in missing.stderr  # no runtime was even imported

    src = tmp_path / "in"
    make_image(src / "a.png", (16, 16))
    (src / "notes.txt").write_text("not an image")
    (src / "sub").mkdir()
    (src / "sub" / "data.csv").write_text("1,2")
    (src / ".hidden").write_text("")
    out = tmp_path / "out"
    proc = _i2i("translate", "-m", str(tiny_model.path), str(src), str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert (
        "1 translated, 0 skipped, 0 failed, 2 non-image files ignored: notes.txt, data.csv -> " in proc.stderr
    )
    again = _i2i("translate", "-m", str(tiny_model.path), str(src), str(out), "--no-progress")
    assert "0 translated, 1 skipped (exist; --overwrite replaces them), 0 failed" in again.stderr
    assert "img/s" not in again.stderr  # no rate when nothing was translated
