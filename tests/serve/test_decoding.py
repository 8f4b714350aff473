"""Images that cannot be decoded within limits get a 4xx with a one-line reason, never a 500 (issue 40.7):
PNG text chunks (zTXt, iTXt) that decompress beyond Pillow's limits, before or after the pixel data, and
broken chunk structure. None of them takes a worker slot."""

from __future__ import annotations

import struct
import zlib

import pytest

from i2i.serve.settings import ServeSettings
from tests.serve.helpers import Counting, call, image_bytes, running, wrapped_pool

RED = "/v1/translate?model=red2blue"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_text(kind: bytes) -> bytes:
    """A zTXt/iTXt chunk of ~50 KiB that decompresses to 50 MiB."""
    payload = zlib.compress(b"\0" * (50 * 2**20), 9)
    head = b"Comment\0\0" if kind == b"zTXt" else b"Comment\0\1\0\0\0"
    return _chunk(kind, head + payload)


PNG = image_bytes((16, 16))
IHDR_END = 8 + 25  # signature + IHDR chunk
IEND = PNG[-12:]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (PNG[:IHDR_END] + _bomb_text(b"zTXt") + PNG[IHDR_END:], 413, "Decompressed data too large"),
        (PNG[:IHDR_END] + _bomb_text(b"iTXt") + PNG[IHDR_END:], 413, "Decompressed data too large"),
        (PNG[:-12] + _bomb_text(b"zTXt") + IEND, 413, "Decompressed data too large"),  # after the pixels
        (PNG[:IHDR_END] + b"\0\0\0\x05zTXtab" + PNG[IHDR_END:], 415, "not an image: "),  # cut chunk
        (PNG[: len(PNG) // 2], 415, "cannot decode image ("),  # truncated pixel data
    ],
    ids=["ztxt-bomb", "itxt-bomb", "ztxt-bomb-after-idat", "broken-chunk", "truncated"],
)
def test_undecodable_images_get_a_4xx_with_one_line(pool, body, status, reason):
    counted, session = wrapped_pool(pool, Counting)
    with running(ServeSettings(port=0), counted) as url:
        reply = call(url + RED, body, {"Content-Type": "image/png"})
        assert reply.status in (413, 415), (reply.status, reply.body[:300])
        detail = reply.detail
        assert "\n" not in detail and len(detail) < 400
        if reply.status == 413:
            assert detail.startswith("image cannot be decoded within this server's limits (")
        assert reason in detail, detail
        assert reply.status == status
        assert session.calls == 0  # never reached the model
        assert call(f"{url}/health").json()["in_flight"] == 0
