"""The HTTP API on a real uvicorn server: endpoints, metadata, formats, and every input error's answer."""

from __future__ import annotations

import io
import json
import urllib.request
import zlib

import pytest
from PIL import Image

from i2i.serve.settings import ServeSettings
from tests.serve.helpers import call, image_bytes, multipart, running

MAX_BYTES = 200_000
MAX_PIXELS = 1_000_000


@pytest.fixture(scope="module")
def url(pool):
    settings = ServeSettings(port=0, workers=2, queue=4, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    with running(settings, pool) as base:
        yield base


def _image(reply) -> Image.Image:
    assert reply.status == 200, reply.body[:300]
    return Image.open(io.BytesIO(reply.body))


def test_health_and_models_metadata(url):
    health = call(f"{url}/health").json()
    assert health == {"status": "ok", "models": 3, "in_flight": 0, "capacity": 6, "token_required": False}
    models = call(f"{url}/v1/models").json()["models"]
    assert [(m["name"], m["direction"], m["task"], m["endpoint"]) for m in models] == [
        ("mosaic", None, "fast_style", "/v1/stylize"),
        ("red2blue", "AtoB", "cyclegan", "/v1/translate"),
        ("red2blue", "BtoA", "cyclegan", "/v1/translate"),
    ]
    red = models[1]
    assert red["domains"] == ["red", "blue"] and red["size_multiple"] == 4 and red["provider"] == "cpu"
    assert red["file"] == "red2blue_AtoB.onnx" and red["in_channels"] == red["out_channels"] == 3


def test_openapi_schema_lists_the_endpoints(url):
    schema = call(f"{url}/openapi.json").json()
    assert {"/health", "/v1/models", "/v1/translate", "/v1/stylize"} <= set(schema["paths"])
    body = schema["paths"]["/v1/translate"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "image/*"} <= set(body)
    params = {p["name"] for p in schema["paths"]["/v1/translate"]["post"]["parameters"]}
    assert params == {"model", "direction", "format"}


def test_translate_multipart_and_raw_body_agree_and_keep_size(url):
    data = image_bytes((45, 30))
    body, headers = multipart(data, "holiday photo.png")
    upload = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", body, headers)
    raw = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", data, {"Content-Type": "image/png"})
    assert upload.body == raw.body
    assert upload.headers["content-type"] == "image/png" and _image(upload).size == (45, 30)
    assert upload.headers["x-i2i-model"] == "red2blue" and upload.headers["x-i2i-direction"] == "AtoB"
    assert upload.headers["content-disposition"] == 'inline; filename="holiday_photo.red2blue.png"'
    # the swap model turns a pure red image blue
    red = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(red, format="PNG")
    out = _image(call(f"{url}/v1/translate?model=red2blue&direction=BtoA", red.getvalue()))
    assert out.getpixel((4, 4)) == (0, 0, 255)


def test_output_format_follows_input_or_option(url):
    jpeg = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", image_bytes((16, 16), "JPEG"))
    assert jpeg.headers["content-type"] == "image/jpeg" and _image(jpeg).format == "JPEG"
    webp = call(f"{url}/v1/translate?model=red2blue&direction=AtoB&format=webp", image_bytes((16, 16)))
    assert webp.headers["content-type"] == "image/webp" and _image(webp).format == "WEBP"


def test_stylize_with_fast_style_model(url):
    reply = call(f"{url}/v1/stylize?model=mosaic", image_bytes((20, 12)))
    assert _image(reply).size == (20, 12) and reply.headers["x-i2i-model"] == "mosaic"


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/v1/translate?model=nope", 404, "unknown model 'nope'; this server has: mosaic, red2blue"),
        ("/v1/stylize?model=nope", 404, "unknown model 'nope'"),
        ("/v1/translate?model=red2blue", 400, "model 'red2blue' has directions AtoB, BtoA: choose one"),
        ("/v1/translate?model=mosaic", 400, "model 'mosaic' is a fast_style model: POST it to /v1/stylize"),
        ("/v1/stylize?model=red2blue", 400, "model 'red2blue' has directions AtoB, BtoA"),
    ],
)
def test_model_choice_errors(url, path, status, message):
    reply = call(url + path, image_bytes((8, 8)))
    assert reply.status == status and message in reply.detail


def test_bad_query_values_are_422(url):
    assert call(f"{url}/v1/translate?model=red2blue&direction=up", image_bytes((8, 8))).status == 422
    assert call(f"{url}/v1/translate?model=red2blue&format=gif", image_bytes((8, 8))).status == 422
    assert call(f"{url}/v1/translate", image_bytes((8, 8))).status == 422


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"hello, this is text", "not an image: the body is not PNG, JPEG, WebP, BMP or TIFF data"),
        (b"", "empty body: send an image"),
        (image_bytes((64, 64))[:200], "cannot decode image ("),
        (image_bytes((8, 8), "GIF"), "not an image: the body is not PNG, JPEG, WebP, BMP or TIFF data"),
    ],
    ids=["text", "empty", "truncated-png", "gif"],
)
def test_not_an_image_is_415(url, body, message):
    reply = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", body, {"Content-Type": "image/png"})
    assert reply.status == 415 and message in reply.detail


def test_multipart_without_file_is_415(url):
    body, headers = multipart(b"x", field="other")
    body = body.replace(b'; filename="photo.png"', b"")
    reply = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", body, headers)
    assert reply.status == 415 and "multipart upload without a file" in reply.detail


def test_body_over_the_size_limit_is_413(url):
    big = b"\0" * (MAX_BYTES + 1)
    reply = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", big)
    assert reply.status == 413
    assert reply.detail == "request body too large: the limit is 200,000 bytes (0.2 MiB)"
    # chunked (no Content-Length): stopped while streaming
    chunks = iter([b"\0" * 65536] * 4)
    request = urllib.request.Request(f"{url}/v1/translate?model=red2blue&direction=AtoB", data=chunks)
    request.add_header("Transfer-Encoding", "chunked")
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("expected 413")
    except urllib.error.HTTPError as err:
        assert err.code == 413 and "request body too large" in json.loads(err.read())["detail"]


def test_pixel_limit_refuses_decompression_bombs(url):
    bomb = io.BytesIO()
    Image.new("RGB", (2000, 1000)).save(bomb, format="PNG")  # 2 Mpx of zeros: a few KiB on the wire
    assert len(bomb.getvalue()) < 20_000
    reply = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", bomb.getvalue())
    assert reply.status == 413
    assert reply.detail == (
        "image too large: 2000x1000 = 2,000,000 pixels; this server accepts at most 1,000,000"
    )
    # Pillow's own bomb guard (far beyond its MAX_IMAGE_PIXELS) answers 413 too
    png = image_bytes((16, 16))
    ihdr = b"IHDR" + (100_000).to_bytes(4, "big") * 2 + png[24:29]  # 100000 x 100000, same depth/type
    huge = png[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + png[33:]
    assert call(f"{url}/v1/translate?model=red2blue&direction=AtoB", huge).status == 413


def test_page_and_static_assets(url):
    page = call(f"{url}/")
    assert page.status == 200 and b'<select id="model">' in page.body
    script = call(f"{url}/static/app.js")
    assert script.status == 200 and b"loadModels" in script.body
    # the page and the API reference share one stylesheet (header bar, colours)
    style = call(f"{url}/static/page.css")
    assert style.status == 200 and b"header h1" in style.body
    for path in ("/", "/docs"):
        assert b'<link rel="stylesheet" href="/static/page.css">' in call(f"{url}{path}").body
