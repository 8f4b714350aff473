"""`i2i serve` under a bounded load: N concurrent clients send a fixed number of requests from this
process to a server process on 127.0.0.1, and the run prints requests/s, p50/p95 latency, errors and the
server's peak RSS (the kernel's high-water mark, VmHWM).

With clients <= workers + queue nothing should be refused: any error is reported (and exits 1). Every
successful reply must carry the same bytes (one input, one model).

    python benchmarks/serve.py                                  # tiny resnet_6blocks export, 256 px
    python benchmarks/serve.py --model model.onnx --size 512 --clients 8 --requests 200
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image


def _tiny_export(tmp: Path, ngf: int) -> Path:
    """resnet_6blocks (random weights) exported through a checkpoint, as users make models."""
    import torch

    from i2i import checkpoint
    from i2i.export import export_checkpoint
    from i2i.nn import build_generator
    from i2i.specs import ArchSpec

    torch.manual_seed(0)
    module = build_generator("resnet_6blocks", ngf=ngf)
    header = checkpoint.make_header(
        ArchSpec("resnet_6blocks", {"ngf": ngf}), module, task="cyclegan", direction="AtoB", name="bench"
    )
    return export_checkpoint(checkpoint.save(tmp / "bench.pt", module, header), tmp / "bench.onnx").path


def _image(size: int) -> bytes:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(small).resize((size, size), Image.Resampling.BILINEAR).save(buffer, format="PNG")
    return buffer.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _request(conn: http.client.HTTPConnection, path: str, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", path, body, {"Content-Type": "image/png"})
    response = conn.getresponse()
    return response.status, response.read()


def _wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("server did not become healthy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help=".onnx file (default: a tiny resnet_6blocks export)")
    parser.add_argument("--ngf", type=int, default=8, help="width of the default model")
    parser.add_argument("--size", type=int, default=256, help="square input side in pixels")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=64, help="requests in total")
    parser.add_argument("--workers", type=int, default=2, help="server inference threads")
    parser.add_argument("--queue", type=int, default=8, help="server queue slots")
    parser.add_argument("--threads", type=int, help="onnxruntime threads per session (default: all cores)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="i2i-bench-serve-"))
    model = args.model or _tiny_export(tmp, args.ngf)
    port = _free_port()
    command = [sys.executable, "-m", "i2i.serve", "--models", str(model), "--port", str(port)]
    command += ["--workers", str(args.workers), "--queue", str(args.queue)]
    command += ["--threads", str(args.threads)] if args.threads else []
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_healthy(port, server)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", "/v1/models")
        name = json.loads(conn.getresponse().read())["models"][0]["name"]
        path = f"/v1/translate?model={name}"
        body = _image(args.size)
        for _ in range(2):  # warm-up
            _request(conn, path, body)
        idle_rss = _status_kib(server.pid, "VmRSS")

        latencies: list[float] = []
        statuses: dict[str, int] = {}
        bodies: set[bytes] = set()
        lock = threading.Lock()
        remaining = [args.requests]

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                start = time.perf_counter()
                try:
                    status, data = _request(conn, path, body)
                    key = str(status)
                except OSError as err:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    status, data, key = 0, b"", type(err).__name__
                with lock:
                    latencies.append(time.perf_counter() - start)
                    statuses[key] = statuses.get(key, 0) + 1
                    if status == 200:
                        bodies.add(data)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        peak_rss = _status_kib(server.pid, "VmHWM")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()

    ok = statuses.get("200", 0)
    errors = args.requests - ok
    p50, p95 = np.percentile(np.array(latencies) * 1000, [50, 95])
    print(f"model: {model.name}, input {args.size}x{args.size} PNG ({len(body) / 1024:.1f} KiB)")
    print(
        f"server: workers {args.workers}, queue {args.queue}, threads {args.threads or 'default'}; "
        f"load: {args.clients} clients, {args.requests} requests from a second process on 127.0.0.1"
    )
    print(f"requests/s: {args.requests / seconds:.2f}  ({seconds:.2f} s)")
    print(f"latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"errors: {errors}  (statuses: {dict(sorted(statuses.items()))})")
    print(f"identical outputs: {len(bodies) == 1 if bodies else 'n/a'}")
    print(f"server RSS: {idle_rss / 1024:.1f} MiB after warm-up, peak {peak_rss / 1024:.1f} MiB")
    within = args.clients <= args.workers + args.queue
    if within and (errors or len(bodies) > 1):
        sys.exit(1)


if __name__ == "__main__":
    main()
