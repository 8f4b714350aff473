"""Memory an `i2i serve` process keeps after large jobs (issue 40.6): resident memory before, at the peak and
after a few large requests, through onnxruntime or OpenVINO. Bounded: a fixed number of requests, every
call with a timeout, 127.0.0.1 only; Linux (reads /proc).

Run against any checkout (the tiny hand-built model comes from that checkout's tests):

    python benchmarks/serve_memory.py [--models starry] [--runtime openvino] \
        [--size 2000x2000] [--requests 3]

Prints one row per request (its time, resident MiB after it, above the warmed-up baseline) and the peak.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's tests/ helpers

from tests.serve.helpers import call, conv_model, image_bytes, stop_server


def status_kib(pid: int, key: str) -> int:
    """``VmRSS``/``VmHWM`` of a process in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.communicate()[1]}")
        try:
            if call(f"{url}/health", timeout=2).status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="a registry name (default: a tiny 3x3 conv model)")
    parser.add_argument("--runtime", default="onnxruntime")
    parser.add_argument("--size", default="2000x2000")
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--max-memory", default="4096")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        model = args.models or str(conv_model(Path(tmp) / "bench.onnx", "swap", task="pix2pix", name="bench"))
        name = args.models or "bench"
        endpoint = "stylize" if name == "starry" else "translate"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "i2i.serve", "--models", model, "--port", str(port), "--workers", "1"]
        cmd += ["--threads", "2", "--timeout", "900", "--runtime", args.runtime]
        cmd += ["--max-memory", args.max_memory]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait_healthy(proc, url)
            path = f"{url}/v1/{endpoint}?model={name}&format=png"
            for _ in range(2):  # warm up: sessions allocate once
                assert call(path, image_bytes((64, 64)), timeout=60).status == 200
            base = status_kib(proc.pid, "VmRSS")
            print(f"{args.runtime} {name} {args.size}: baseline {base / 1024:.0f} MiB")
            body = image_bytes((width, height))
            for i in range(args.requests):
                start = time.perf_counter()
                reply = call(path, body, timeout=900)
                seconds = time.perf_counter() - start
                assert reply.status == 200, reply.body[:200]
                time.sleep(0.5)
                after = status_kib(proc.pid, "VmRSS")
                print(
                    f"  after request {i + 1} ({seconds:.2f} s): {after / 1024:.0f} MiB "
                    f"(+{(after - base) / 1024:.0f})"
                )
            peak = status_kib(proc.pid, "VmHWM")
            print(f"  peak {peak / 1024:.0f} MiB (+{(peak - base) / 1024:.0f})")
        finally:
            stop_server(proc, strict=False)


if __name__ == "__main__":
    main()
