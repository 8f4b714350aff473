"""`i2i serve` as its own process (the real CLI command): no torch imported, and concurrent requests give
the same bytes as `i2i translate` writes for the same input and model."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from typer.testing import CliRunner

from tests.serve.helpers import call, image_bytes, stop_server

# The `serve` command on its own (main.py registers it too); reports the imported modules when it stops.
_RUNNER = """
import sys
from i2i.serve.__main__ import main
try:
    main()
finally:
    print("MODULES", "torch" in sys.modules, "onnxruntime" in sys.modules, file=sys.stderr, flush=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _RUNNER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_healthy(proc: subprocess.Popen[str], url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()[1]}")
        try:
            if call(f"{url}/health", timeout=2).status == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "server did not become healthy"
        time.sleep(0.1)


def _cli_outputs(model: Path, inputs: Path, out: Path) -> None:
    from i2i.cli.main import app

    args = ["translate", "-m", str(model), str(inputs), str(out), "--threads", "1", "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


def test_server_process_matches_cli_bytes_without_torch(tmp_path, exported_model):
    inputs = tmp_path / "in"
    inputs.mkdir()
    images = {
        "a.png": image_bytes((45, 30), "PNG", seed=1),
        "b.jpg": image_bytes((33, 21), "JPEG", seed=2, quality=90),
        "c.webp": image_bytes((16, 40), "WEBP", seed=3),
    }
    for name, data in images.items():
        (inputs / name).write_bytes(data)
    _cli_outputs(exported_model, inputs, tmp_path / "cli")
    expected = {name: (tmp_path / "cli" / name).read_bytes() for name in images}

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(
        "--models", str(exported_model), "--port", str(port), "--threads", "1", "--workers", "3", "--quiet"
    )  # fmt: skip
    try:
        _wait_healthy(proc, url)
        jobs = [name for name in images for _ in range(4)]
        with ThreadPoolExecutor(6) as clients:
            replies = list(
                clients.map(lambda n: call(f"{url}/v1/translate?model=tiny_resnet", images[n]), jobs)
            )
    finally:
        stderr = stop_server(proc)
    assert "MODULES False True" in stderr, stderr
    assert "serving 1 model(s) on http://127.0.0.1:" in stderr
    assert "POST /v1/translate" not in stderr  # --quiet: no line per request
    for name, reply in zip(jobs, replies, strict=True):
        assert reply.status == 200, reply.body[:200]
        assert reply.body == expected[name], name


def test_cli_error_is_one_line_and_exit_1(tmp_path):
    proc = _serve("--models", str(tmp_path / "missing.onnx"), "--port", "0")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"error: {tmp_path / 'missing.onnx'}: no such model file" in " ".join(stderr.split())


def test_allow_origin_option_lets_that_site_post_and_no_other(tmp_path, exported_model):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(
        "--models", str(exported_model), "--port", str(port), "--allow-origin", "https://ok.example"
    )
    try:
        _wait_healthy(proc, url)
        image = image_bytes((16, 16), "PNG", seed=1)
        endpoint = f"{url}/v1/translate?model=tiny_resnet"
        assert call(endpoint, image, {"Origin": "https://ok.example"}).status == 200
        assert call(endpoint, image, {"Origin": "https://evil.example"}).status == 403
    finally:
        stderr = stop_server(proc)
    logged = [line for line in stderr.splitlines() if line.startswith("POST ")]  # one line per request
    assert [line.rsplit(" ", 2)[0] for line in logged] == [
        "POST /v1/translate model=tiny_resnet 200",
        "POST /v1/translate model=tiny_resnet 403",
    ], stderr
    assert all(line.endswith(" ms") and line.rsplit(" ", 2)[1].isdigit() for line in logged)
    bad = _serve("--models", str(exported_model), "--port", "0", "--allow-origin", "not an origin")
    _, stderr = bad.communicate(timeout=60)
    assert bad.returncode == 1 and stderr.strip().splitlines()[0].startswith("error: ")
