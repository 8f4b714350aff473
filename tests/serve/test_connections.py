"""Connections at the cap (issue 40.4): beyond ``--max-connections`` a newcomer gets a JSON 503 with
Retry-After, never a reset, up to a hard limit far above the cap; connections idle for a while still make
room for new ones, so idle sockets cannot lock clients out.

Every server binds 127.0.0.1; every socket has a read timeout; loops are bounded in count."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack

from i2i.serve.guard import EVICT_AFTER
from i2i.serve.settings import ServeSettings, connection_hard_limit
from tests.security.rawhttp import closed_by_server, connect, read_reply, reply_outcome, request_head
from tests.serve.helpers import call, running


def _answer(sock) -> str:
    """``200``, ``503`` (JSON with Retry-After) or what went wrong instead of an answer."""
    outcome, reply = reply_outcome(sock)
    if reply is not None and reply.status == 503:
        assert reply.headers["content-type"] == "application/json"
        assert int(reply.headers["retry-after"]) >= 1
        assert json.loads(reply.body)["detail"].startswith("server busy: all 256 connections are in use")
    return outcome


def test_300_simultaneous_connections_are_all_answered(pool):
    # The default cap of 256; 300 connections open at once, then each sends a request. Before the fix
    # the 44 beyond the cap closed the oldest connections, whose requests then met a reset.
    settings = ServeSettings(port=0, client_timeout=30)
    assert settings.max_connections == 256
    with running(settings, pool) as url, ExitStack() as stack:
        socks = [stack.enter_context(connect(url)) for _ in range(300)]
        sent = 0
        for sock in socks:
            try:
                sock.sendall(request_head("GET", "/health"))
                sent += 1
            except OSError:
                pass
        outcomes: dict[str, int] = {}
        for sock in socks:
            outcome = _answer(sock)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert sent == 300
        assert set(outcomes) <= {"200", "503"}, outcomes
        assert outcomes["200"] >= 256, outcomes


def test_a_connection_idle_for_a_while_makes_room(pool):
    # The defence against idle sockets stays: one silent for EVICT_AFTER is closed for a newcomer.
    settings = ServeSettings(port=0, client_timeout=30, max_connections=4)
    with running(settings, pool) as url, ExitStack() as stack:
        old = [stack.enter_context(connect(url)) for _ in range(4)]
        time.sleep(EVICT_AFTER + 0.2)
        assert call(f"{url}/health").status == 200
        closed = []
        for sock in old:
            sock.settimeout(0.2)
            closed.append(closed_by_server(sock))
        assert closed == [True, False, False, False]  # the oldest


def test_fresh_connections_are_kept_and_the_newcomer_gets_503(pool):
    # Connections younger than EVICT_AFTER may be clients whose request is on its way: none is closed;
    # the newcomer over the cap is answered (JSON 503, Retry-After) and the others are served.
    settings = ServeSettings(port=0, client_timeout=30, max_connections=4)
    with running(settings, pool) as url, ExitStack() as stack:
        fresh = [stack.enter_context(connect(url)) for _ in range(4)]
        reply = call(f"{url}/health")
        assert reply.status == 503 and int(reply.headers["retry-after"]) >= 1
        assert reply.json()["detail"].startswith("server busy: all 4 connections are in use; retry in ")
        for sock in fresh:
            sock.settimeout(0.01)
            assert not closed_by_server(sock)
            sock.sendall(request_head("GET", "/health"))
            sock.settimeout(5)
            assert read_reply(sock).status == 200


def test_the_hard_limit_is_generous_and_within_the_descriptor_limit():
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert connection_hard_limit(256) == min(1280, soft - 64) if soft != resource.RLIM_INFINITY else 1280
    assert connection_hard_limit(1000) == min(4000, soft - 64) if soft != resource.RLIM_INFINITY else 4000
    assert connection_hard_limit(10**9) == 10**9  # never below the cap


def test_beyond_the_hard_limit_newcomers_are_closed_and_below_it_answered(pool):
    # A server whose cap is 2 and hard limit 4 (the real hard limit is over a thousand connections).
    import threading

    import uvicorn

    from i2i.serve.app import create_app
    from i2i.serve.guard import guarded_protocol
    from i2i.serve.run import bind

    settings = ServeSettings(port=0, client_timeout=30)
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        create_app(settings, pool), log_level="warning", http=guarded_protocol(30, 2, hard_limit=4)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        wait = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < wait and thread.is_alive(), "server did not start"
            time.sleep(0.01)
        with ExitStack() as stack:
            socks = [stack.enter_context(connect(url)) for _ in range(5)]
            time.sleep(0.2)
            answers = []
            for s in socks:
                s.sendall(request_head("GET", "/health"))
            for s in socks:
                try:
                    reply = read_reply(s)
                    answers.append(None if reply is None else reply.status)
                except ConnectionResetError:
                    answers.append("reset")
            assert answers[:4] == [200, 200, 503, 503]  # 2 served, 2 over the cap answered
            assert answers[4] in (None, "reset")  # the fifth was beyond the hard limit
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
