"""Cross-site posts to a tokenless server (issue 40.8): a page on another site can make a visitor's
browser POST a form to the server (no preflight); such requests get 403 with one line and are not
processed, unless the operator allowed that origin. The server's own page, and clients that are not
browsers, keep working."""

from __future__ import annotations

import pytest

from i2i.errors import I2IError
from i2i.serve.settings import ServeSettings
from tests.serve.helpers import Counting, call, image_bytes, multipart, running, wrapped_pool

RED = "/v1/translate?model=red2blue"
EVIL = "https://evil.example"


@pytest.fixture()
def served(pool):
    counted, session = wrapped_pool(pool, Counting)
    with running(ServeSettings(port=0, allowed_origins=("https://Studio.Example:8443/",)), counted) as url:
        yield url, session


def test_cross_site_form_post_is_403_and_not_processed(served):
    url, session = served
    body, headers = multipart(image_bytes((16, 16)))  # what a hidden <form method=post> sends
    for extra in (
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
        {"Origin": EVIL},  # a browser without Fetch Metadata
        {"Origin": "null"},  # a sandboxed frame or a file: page
        {"Sec-Fetch-Site": "cross-site"},  # no Origin
        {"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"},  # another port, same site
    ):
        reply = call(url + RED, body, {**headers, **extra})
        assert reply.status == 403, (extra, reply.body[:200])
        assert reply.detail.startswith("cross-site request refused (")
        assert reply.detail.endswith(
            "): this server has no token; allow that origin with --allow-origin ORIGIN, "
            "or start it with --token"
        )
        assert "\n" not in reply.detail
    assert session.calls == 0


def test_own_page_allowed_origin_and_non_browsers_are_served(served):
    url, session = served
    body, headers = multipart(image_bytes((16, 16)))
    own = {"Origin": url, "Sec-Fetch-Site": "same-origin"}  # the page at / posting its form
    for extra in (own, {"Origin": "https://studio.example:8443", "Sec-Fetch-Site": "cross-site"}, {}):
        reply = call(url + RED, body, {**headers, **extra})
        assert reply.status == 200, (extra, reply.body[:200])
    assert session.calls == 3
    # reading is not refused: the page, the model list and health answer any origin
    for path in ("/", "/v1/models", "/health"):
        assert call(url + path, headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}).status == 200


def test_a_token_server_needs_no_origin_check(pool):
    # a cross-site form cannot send the Authorization header, so with a token the token decides
    with running(ServeSettings(port=0, token="t0k"), pool) as url:
        headers = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Authorization": "Bearer t0k"}
        assert call(url + RED + "&direction=AtoB", image_bytes((16, 16)), headers).status == 200


@pytest.mark.parametrize("origin", ["evil.example", "https://evil.example/path", "ftp://x", "https://u@x"])
def test_allowed_origins_must_be_origins(origin):
    with pytest.raises(I2IError, match="--allow-origin"):
        ServeSettings(allowed_origins=(origin,))
