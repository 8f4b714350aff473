"""Retry-After from the work admitted ahead (issue 40.5), not from a running mean of past job times.

The model takes a known time per pixel, so the work ahead of a refused request is known: one running and
two waiting 200x200 jobs at 5e-5 s per pixel are about 6 s (less what the running one has done)."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from i2i.serve.settings import ServeSettings
from tests.serve.helpers import Paced, call, image_bytes, running, wait_until, wrapped_pool

RED = "/v1/translate?model=red2blue"
SECONDS_PER_PIXEL = 5e-5  # 100x100: 0.5 s; 200x200: 2 s


def test_retry_after_is_the_work_admitted_ahead(pool):
    paced_pool, session = wrapped_pool(pool, partial(Paced, seconds_per_pixel=SECONDS_PER_PIXEL))
    settings = ServeSettings(port=0, workers=1, queue=2)
    with running(settings, paced_pool) as url, ThreadPoolExecutor(3) as clients:
        started = time.monotonic()
        assert call(url + RED, image_bytes((100, 100))).status == 200  # learns ~5e-5 s per pixel
        # what the server can have learned: at most the whole call's time for 100x100 pixels (more than
        # 0.5 s on a busy machine), so three 200x200 jobs are at most 12 times that
        most = max(8, math.ceil(12 * (time.monotonic() - started)) + 1)
        for _ in range(3):  # fast refusals must not make the server look fast
            assert call(url + RED, b"not an image").status == 415
        session.hold.set()  # from now on jobs wait for the release: their work stays known
        try:
            jobs = [clients.submit(call, url + RED, image_bytes((200, 200), seed=i)) for i in range(3)]
            wait_until(session.entered.is_set)
            wait_until(lambda: call(f"{url}/health").json()["in_flight"] == 3)
            busy = call(url + RED, image_bytes((200, 200)))
            assert busy.status == 503
            wait = int(busy.headers["retry-after"])
            # 3 jobs x 2 s on one worker, less the little the running one has done; the old running mean
            # (0.8 x 1 s + 0.2 x 0.5 s, times 3 slots) said 3 s
            assert 5 <= wait <= most, (wait, most)
            assert busy.detail.endswith(f"retry in {wait} s (the work admitted ahead)")
        finally:
            session.release.set()
        assert all(job.result().status == 200 for job in jobs)
        wait_until(lambda: call(f"{url}/health").json()["in_flight"] == 0)
