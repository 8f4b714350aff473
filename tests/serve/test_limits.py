"""Auth and capacity: 401 without or with a wrong token (health, the page and the docs stay open); 503 with
Retry-After when every worker and queue slot is taken; 504 on the per-request timeout, where a job still
waiting gives its slot back."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from i2i.serve.settings import ServeSettings
from tests.serve.helpers import call, gated_pool, image_bytes, running

TOKEN = "s3cret-token"
RED = "/v1/translate?model=red2blue&direction=AtoB"


def test_bearer_token_on_everything_but_health_page_and_docs(pool):
    with running(ServeSettings(port=0, token=TOKEN), pool) as url:
        assert call(f"{url}/health").json()["token_required"] is True
        for path in ("/", "/static/app.js", "/docs", "/static/docs.js", "/openapi.json"):
            assert call(url + path).status == 200, path  # the page's links work without a header
        for path, body in [("/v1/models", None), (RED, image_bytes((8, 8)))]:
            missing = call(url + path, body)
            assert missing.status == 401, path
            assert missing.detail == "missing token: send 'Authorization: Bearer <token>'"
            assert missing.headers["www-authenticate"] == 'Bearer realm="i2i"'
            for wrong in ("Bearer nope", "Basic " + TOKEN, TOKEN):
                reply = call(url + path, body, {"Authorization": wrong})
                assert reply.status == 401 and reply.detail == "invalid token", (path, wrong)
            good = call(url + path, body, {"Authorization": f"Bearer {TOKEN}"})
            assert good.status == 200, (path, good.body[:200])


def _wait(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_over_capacity_is_503_with_retry_after(pool):
    gate = threading.Event()
    gated, session = gated_pool(pool, gate)
    settings = ServeSettings(port=0, workers=1, queue=1)
    with running(settings, gated) as url, ThreadPoolExecutor(2) as clients:
        try:
            first = clients.submit(call, url + RED, image_bytes((8, 8)))
            _wait(session.entered.is_set)  # one running
            second = clients.submit(call, url + RED, image_bytes((8, 8)))
            _wait(lambda: call(f"{url}/health").json()["in_flight"] == 2)  # one queued
            busy = call(url + RED, image_bytes((8, 8)))
            assert busy.status == 503
            assert busy.detail.startswith("server busy: 2 requests already running or queued; retry in")
            assert int(busy.headers["retry-after"]) >= 1
            assert call(f"{url}/health").status == 200  # health still answers
        finally:
            gate.set()
        assert first.result().status == 200 and second.result().status == 200
        _wait(lambda: call(f"{url}/health").json()["in_flight"] == 0)
        assert call(url + RED, image_bytes((8, 8))).status == 200


def test_timeout_is_504_and_a_waiting_job_gives_its_slot_back(pool):
    gate = threading.Event()
    gated, session = gated_pool(pool, gate)
    settings = ServeSettings(port=0, workers=1, queue=1, timeout=0.5)
    with running(settings, gated) as url, ThreadPoolExecutor(1) as clients:
        try:
            running_job = clients.submit(call, url + RED, image_bytes((8, 8)))
            _wait(session.entered.is_set)
            waiting = call(url + RED, image_bytes((8, 8)))  # queued behind the stuck job, then times out
            assert waiting.status == 504 and waiting.detail == "timed out: no result within 0.5 s"
            stuck = running_job.result()
            assert stuck.status == 504 and stuck.detail == "timed out: no result within 0.5 s"
            # the running job cannot be interrupted: it keeps its slot; the cancelled one gave its back
            assert call(f"{url}/health").json()["in_flight"] == 1
        finally:
            gate.set()
        _wait(lambda: call(f"{url}/health").json()["in_flight"] == 0)
        assert call(url + RED, image_bytes((8, 8))).status == 200
