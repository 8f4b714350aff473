"""Idle and slow clients cannot starve the service (issue 17.1).

Every server binds 127.0.0.1; every socket has a read timeout; loops are bounded in count.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

from i2i.serve.guard import EVICT_AFTER
from i2i.serve.settings import ServeSettings
from tests.security.rawhttp import await_continue, closed_by_server, connect, read_reply, request_head
from tests.serve.helpers import call, image_bytes, running

RED = "/v1/translate?model=red2blue&direction=AtoB"
UPLOAD_HEAD = request_head(
    "POST", RED, {"Content-Type": "image/png", "Content-Length": "100000", "Expect": "100-continue"}
)


def _slow_uploader(stack: ExitStack, url: str):
    """A connection that sent a request head and 10 bytes of a 100 kB body, and then nothing.

    The head asks for ``100 Continue``, which the server sends once the app starts reading the body, so
    when this returns the server is known to hold the request in progress."""
    sock = stack.enter_context(connect(url))
    sock.sendall(UPLOAD_HEAD)
    await_continue(sock)
    sock.sendall(b"\x89PNG\r\n\x1a\n\x00\x00")
    return sock


def test_100_idle_and_8_slow_uploaders_do_not_block_requests(pool):
    # One worker and one queue slot: before the fix, 8 uploaders held every slot (and 100 idle sockets
    # passed uvicorn's connection limit, so everything got its plain-text 503).
    settings = ServeSettings(port=0, workers=1, queue=1, client_timeout=60)
    with running(settings, pool) as url, ExitStack() as stack:
        idle = [stack.enter_context(connect(url)) for _ in range(100)]
        slow = [_slow_uploader(stack, url) for _ in range(8)]
        health = call(f"{url}/health", timeout=10)
        assert health.status == 200
        assert health.json()["in_flight"] == 0  # uploads in progress hold no slot
        for _ in range(3):
            reply = call(url + RED, image_bytes((20, 12)), timeout=30)
            assert reply.status == 200, reply.body[:200]
            assert reply.headers["content-type"] == "image/png"
        for sock in idle + slow:  # all still open: nothing was evicted to make room
            sock.settimeout(0.01)
            assert not closed_by_server(sock)


def test_silent_connections_are_closed_and_trickling_bodies_get_408(pool):
    settings = ServeSettings(port=0, client_timeout=0.5, min_upload_rate=1024)
    with running(settings, pool) as url, ExitStack() as stack:
        silent = stack.enter_context(connect(url))
        half_head = stack.enter_context(connect(url))
        half_head.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finishes its head
        slow = _slow_uploader(stack, url)
        kept_alive = stack.enter_context(connect(url))
        kept_alive.sendall(request_head("GET", "/health"))
        assert read_reply(kept_alive).status == 200

        assert closed_by_server(silent)
        assert closed_by_server(half_head)
        assert closed_by_server(kept_alive)  # idle after its response
        reply = read_reply(slow)
        assert reply is not None and reply.status == 408
        assert reply.headers["connection"] == "close"
        assert reply.detail.startswith("request body too slow: 10 bytes in ")
        assert reply.detail.endswith(" s; send at least 1 KiB/s")
        assert closed_by_server(slow)
        assert call(f"{url}/health").json()["in_flight"] == 0


def test_connection_cap_closes_idle_ones_first_then_answers_json_503(pool):
    settings = ServeSettings(port=0, client_timeout=60, max_connections=8)
    with running(settings, pool) as url, ExitStack() as stack:
        idle = [stack.enter_context(connect(url)) for _ in range(8)]
        time.sleep(EVICT_AFTER + 0.2)  # only connections idle this long are closed to make room
        assert call(f"{url}/health").status == 200  # evicts the oldest idle connection
        evicted = 0
        for sock in idle:
            sock.settimeout(0.2)
            evicted += closed_by_server(sock)
        assert evicted == 1
        busy = [_slow_uploader(stack, url) for _ in range(8)]  # evict the rest; now every one is busy
        refused = stack.enter_context(connect(url))
        refused.sendall(request_head("GET", "/health"))
        reply = read_reply(refused)
        assert reply is not None and reply.status == 503
        assert reply.headers["content-type"] == "application/json"
        assert reply.headers["retry-after"] == "1"
        assert reply.detail == (
            "server busy: all 8 connections are in use; retry in 1 s (the work admitted ahead)"
        )
        for sock in busy:
            sock.settimeout(0.01)
            assert not closed_by_server(sock)


def test_body_guard_leaves_waiting_for_a_disconnect_alone_once_the_body_is_complete():
    import asyncio

    from i2i.serve.limits import BodyGuardMiddleware

    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append((await receive())["type"])  # the whole body
        seen.append((await receive())["type"])  # then, like a streaming response, wait for a disconnect

    async def main():
        messages = [{"type": "http.request", "body": b"abc", "more_body": False}, {"type": "http.disconnect"}]

        async def receive():
            if len(messages) == 1:
                await asyncio.sleep(0.3)  # the client goes away long after the rate deadline
            return messages.pop(0)

        guard = BodyGuardMiddleware(app, max_bytes=100, min_rate=1000.0, grace=0.05, budget=1000)
        await guard({"type": "http", "headers": [(b"content-length", b"3")]}, receive, None)
        return guard.held

    assert asyncio.run(main()) == 0  # reservation given back
    assert seen == ["http.request", "http.disconnect"]
