"""Requests/s and p95 latency of `i2i serve` with and without 100 idle and 8 slow-uploading connections
held open (issue 17.1), and with 10 connections that declared a 20 MiB body and send nothing (40.1).
Bounded: a fixed number of requests, every socket with a timeout, 127.0.0.1 only.

Run against any checkout (the tiny hand-built model comes from that checkout's tests):

    python benchmarks/serve_slow_clients.py [--requests 60] [--clients 4]

Prints one row per phase: successful requests per second, p50/p95 latency of all requests, and the
statuses seen (a refused request counts in the latency with its refusal time).
"""

from __future__ import annotations

import argparse
import collections
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from i2i.serve.pool import ModelPool
from i2i.serve.settings import ServeSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's tests/ helpers

from tests.serve.helpers import call, conv_model, image_bytes, running

PATH = "/v1/translate?model=bench"


def _phase(url: str, n: int, clients: int) -> tuple[float, float, float, collections.Counter]:
    body = image_bytes((256, 256))

    def one(_: int) -> tuple[float, int]:
        start = time.perf_counter()
        try:
            status = call(url + PATH, body, {"Content-Type": "image/png"}, timeout=30).status
        except OSError:
            status = -1  # connection refused/reset
        return time.perf_counter() - start, status

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    latencies = sorted(r[0] for r in results)
    statuses = collections.Counter(r[1] for r in results)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    return statuses[200] / wall, statistics.median(latencies), p95, statuses


def _hold(stack: ExitStack, url: str, idle: int, slow: int) -> None:
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
        "Content-Length: 100000\r\n\r\n"
    ).encode()
    for _ in range(idle):
        stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
    for _ in range(slow):
        sock = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
        sock.sendall(head + b"\x89PNG\r\n\x1a\n\0\0")  # 10 body bytes, then nothing
    time.sleep(0.5)  # let the server accept them before measuring


def _hold_declared(stack: ExitStack, url: str, n: int) -> None:
    """``n`` connections that declare a 20 MiB body, are told 100 Continue, and send nothing."""
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
        f"Content-Length: {20 * 2**20}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    for _ in range(n):
        sock = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
        sock.sendall(head)
    time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = conv_model(Path(tmp) / "bench.onnx", "swap", task="pix2pix", name="bench")
        pool = ModelPool.load((str(model),), device="cpu", threads=1)
        settings = ServeSettings(port=0, workers=2, queue=8, client_timeout=30)  # defaults, 30 s grace
        print(f"{'phase':<34} {'ok req/s':>9} {'p50 s':>7} {'p95 s':>7}  statuses")
        with running(settings, pool) as url:
            _phase(url, 8, 2)  # warm-up
            rate, p50, p95, statuses = _phase(url, args.requests, args.clients)
            print(f"{'quiet':<34} {rate:9.1f} {p50:7.3f} {p95:7.3f}  {dict(statuses)}")
            with ExitStack() as stack:
                _hold(stack, url, idle=100, slow=8)
                rate, p50, p95, statuses = _phase(url, args.requests, args.clients)
                label = "100 idle + 8 slow uploaders open"
                print(f"{label:<34} {rate:9.1f} {p50:7.3f} {p95:7.3f}  {dict(statuses)}")
            with ExitStack() as stack:
                _hold_declared(stack, url, 10)
                rate, p50, p95, statuses = _phase(url, args.requests, args.clients)
                label = "10 declared 20 MiB bodies open"
                print(f"{label:<34} {rate:9.1f} {p50:7.3f} {p95:7.3f}  {dict(statuses)}")


if __name__ == "__main__":
    main()
