"""Memory that stays after large jobs (issue 40.6): the server process gives back what a large image
took, through onnxruntime and OpenVINO. A server process with the tiny model takes two 6-megapixel
images; its resident memory afterwards is compared with the warmed-up baseline.

Measured before the fix (ade5497, same machine): +89 MiB stayed with onnxruntime, +153 MiB with
OpenVINO (+534 MiB after ``starry`` at 1.5 MP); after: +47 MiB (onnxruntime's CPU arena, which serve
cannot reach) and +68 MiB (+55 MiB with ``starry``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.serve.helpers import call, conv_model, image_bytes, stop_server
from tests.serve.test_process import _free_port, _wait_healthy

MiB = 1024  # /proc reports KiB


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _openvino() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to read RSS")
@pytest.mark.parametrize(
    ("runtime", "bound"),
    [
        ("onnxruntime", 64),
        pytest.param(
            "openvino", 110, marks=pytest.mark.skipif(not _openvino(), reason="openvino not installed")
        ),
    ],
)
def test_memory_goes_back_after_large_jobs(tmp_path, runtime, bound):
    model = conv_model(tmp_path / "m.onnx", "swap", task="pix2pix", name="m")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["--models", str(model), "--port", str(port), "--workers", "1", "--threads", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "i2i.serve", *args, "--runtime", runtime],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(proc, url)
        path = f"{url}/v1/translate?model=m&format=png"
        for _ in range(2):  # warm up: sessions allocate once
            assert call(path, image_bytes((64, 64)), timeout=60).status == 200
        base = _rss_kib(proc.pid)
        large = image_bytes((3000, 2000))
        for _ in range(2):
            reply = call(path, large, timeout=120)
            assert reply.status == 200, reply.body[:200]
        time.sleep(0.3)
        kept = _rss_kib(proc.pid) - base
    finally:
        stop_server(proc)
    assert kept <= bound * MiB, f"{runtime}: {kept / MiB:.0f} MiB stayed after the large jobs"
