"""Declared bodies that never come (issue 40.1): bytes are counted as they arrive, so connections that
declare the largest body and send nothing hold none of the upload budget; every body has a deadline.

Every server binds 127.0.0.1; every socket has a read timeout; loops are bounded in count."""

from __future__ import annotations

import socket
from contextlib import ExitStack

from i2i.serve.settings import ServeSettings
from tests.security.rawhttp import await_continue, closed_by_server, connect, read_reply, request_head
from tests.serve.helpers import call, image_bytes, running

RED = "/v1/translate?model=red2blue&direction=AtoB"
MiB = 2**20


def _declared_and_silent(stack: ExitStack, url: str, length: int):
    """A connection that declared a ``length``-byte body, was told ``100 Continue`` (so the server is
    reading its body), and then sends nothing."""
    sock = stack.enter_context(connect(url))
    sock.sendall(
        request_head(
            "POST",
            RED,
            {"Content-Type": "image/png", "Content-Length": str(length), "Expect": "100-continue"},
        )
    )
    await_continue(sock)
    return sock


def test_ten_declared_20_mib_bodies_sending_nothing_do_not_block_a_normal_request(pool):
    # The defaults: 20 MiB bodies, a budget of (2 workers + 8 queued) x 20 MiB; before the fix the ten
    # declared lengths were reserved up front and every real upload got 503 while they stayed.
    settings = ServeSettings(port=0, client_timeout=30)
    assert settings.body_budget == 10 * 20 * MiB
    with running(settings, pool) as url, ExitStack() as stack:
        held = [_declared_and_silent(stack, url, 20 * MiB) for _ in range(10)]
        for _ in range(2):
            reply = call(url + RED, image_bytes((20, 12)), {"Content-Type": "image/png"}, timeout=30)
            assert reply.status == 200, reply.body[:200]
        for sock in held:  # still open, still waiting: nothing was refused to make room
            sock.settimeout(0.01)
            assert not closed_by_server(sock)


def test_a_body_that_keeps_coming_slowly_gets_408_at_the_deadline(pool):
    # 50 bytes/s passes the minimum rate (1 byte/s), but the whole body must arrive within --timeout.
    settings = ServeSettings(port=0, timeout=1.0, min_upload_rate=1)
    with running(settings, pool) as url, ExitStack() as stack:
        sock = _declared_and_silent(stack, url, 1000)
        for _ in range(100):  # bounded: 2 s at most
            try:
                sock.sendall(b"\0" * 5)
            except OSError:
                break
            sock.settimeout(0.1)
            try:
                if sock.recv(1, socket.MSG_PEEK):  # an answer has come
                    break
            except TimeoutError:
                pass
        sock.settimeout(5)
        reply = read_reply(sock)
        assert reply is not None and reply.status == 408
        assert reply.detail == "request body not received within 1 s"
        assert reply.headers["connection"] == "close"
        assert call(f"{url}/health").json()["in_flight"] == 0
