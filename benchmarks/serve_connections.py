"""What 300 simultaneous connections get from `i2i serve` at its default cap of 256 (issue 40.4): answers
(200, JSON 503) against resets and connections closed unanswered. Bounded: one burst per pattern, every
socket with a timeout, 127.0.0.1 only.

Run against any checkout (the tiny hand-built model comes from that checkout's tests):

    python benchmarks/serve_connections.py [--connections 300]

Two patterns: ``open-then-send`` (all connections open first, then each sends a request) and ``threads``
(one thread per connection: connect, send, read, all at once).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import threading
from contextlib import ExitStack, suppress
from pathlib import Path

from i2i.serve.pool import ModelPool
from i2i.serve.settings import ServeSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's tests/ helpers

from tests.security.rawhttp import connect, reply_outcome, request_head
from tests.serve.helpers import conv_model, running


def outcome(sock) -> str:
    """The status answered, or how the connection failed."""
    return reply_outcome(sock)[0]


def open_then_send(url: str, n: int) -> collections.Counter:
    with ExitStack() as stack:
        socks = [stack.enter_context(connect(url)) for _ in range(n)]
        for sock in socks:
            with suppress(OSError):
                sock.sendall(request_head("GET", "/health"))
        return collections.Counter(outcome(sock) for sock in socks)


def threads(url: str, n: int) -> collections.Counter:
    results: list[str] = []
    start = threading.Barrier(n)

    def one() -> None:
        start.wait(30)
        try:
            with connect(url) as sock:
                sock.sendall(request_head("GET", "/health"))
                results.append(outcome(sock))
        except OSError as err:
            results.append(type(err).__name__)

    workers = [threading.Thread(target=one) for _ in range(n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    return collections.Counter(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = conv_model(Path(tmp) / "bench.onnx", "swap", task="pix2pix", name="bench")
        pool = ModelPool.load((str(model),), device="cpu", threads=1)
        for name, burst in (("open-then-send", open_then_send), ("threads", threads)):
            with running(ServeSettings(port=0, client_timeout=30), pool) as url:
                print(f"{name:<15} {args.connections} connections: {dict(burst(url, args.connections))}")


if __name__ == "__main__":
    main()
