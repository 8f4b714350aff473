"""Uploads in every image layout a phone, a scanner or an editor writes are translated as what they show.

Each upload is compared with a plain 8-bit RGB PNG of the picture it should decode to, built here with
Pillow alone (not with i2i's decoder): the server must answer both with the same bytes. Covered: RGBA with
transparent areas (composited on white, as `i2i translate` does), greyscale, 16-bit greyscale (scaled to
8 bits, not clipped), CMYK JPEG, a JPEG with EXIF orientation 6 (shown rotated: the output is upright and
portrait) and animated WebP (the first frame). GIF, which `i2i translate` does not read either, gets a
one-line 415 naming the formats that are read.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from i2i.serve.settings import ServeSettings
from tests.serve.helpers import call, running

SIZE = (24, 16)  # width, height: sides a multiple of the test model's 4


def _encode(img: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _picture(seed: int = 0) -> np.ndarray:
    """A smooth (16, 24, 3) uint8 picture: blocks of 4 px, so JPEG's chroma subsampling changes little."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (SIZE[1] // 4, SIZE[0] // 4, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)


def rgba_with_holes() -> tuple[bytes, Image.Image]:
    rgb = _picture()
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:, : SIZE[0] // 2] = 0  # the left half fully transparent
    alpha[:4] = 128  # the top rows half transparent
    upload = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    white = Image.new("RGBA", SIZE, (255, 255, 255, 255))
    return _encode(upload, "PNG"), Image.alpha_composite(white, upload).convert("RGB")


def greyscale() -> tuple[bytes, Image.Image]:
    grey = Image.fromarray(_picture()[..., 0], "L")
    return _encode(grey, "PNG"), grey.convert("RGB")


def sixteen_bit() -> tuple[bytes, Image.Image]:
    grey8 = _picture()[..., 1].astype(np.uint16)
    upload = Image.fromarray(grey8 * 257)  # mode I;16, 0..65535: the same levels in 16 bits
    assert upload.mode == "I;16"
    return _encode(upload, "PNG"), Image.fromarray(grey8.astype(np.uint8), "L").convert("RGB")


def cmyk_jpeg() -> tuple[bytes, Image.Image]:
    data = _encode(Image.fromarray(_picture()).convert("CMYK"), "JPEG", quality=95)
    with Image.open(io.BytesIO(data)) as decoded:  # what the JPEG holds, in RGB
        return data, decoded.convert("RGB")


def exif_rotated_jpeg() -> tuple[bytes, Image.Image]:
    stored = Image.fromarray(
        _picture()
    )  # 24 x 16 as stored; orientation 6: shown rotated 90 degrees clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as decoded:
        return data, decoded.convert("RGB").transpose(Image.Transpose.ROTATE_270)


def _animation(fmt: str) -> tuple[bytes, Image.Image]:
    frames = [Image.fromarray(_picture(seed)) for seed in (1, 2, 3)]
    params = {"lossless": True} if fmt == "WEBP" else {}
    data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **params)
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.n_frames == 3
        decoded.seek(0)
        return data, decoded.convert("RGB")


CASES = {
    "rgba": rgba_with_holes,
    "greyscale": greyscale,
    "16-bit": sixteen_bit,
    "cmyk-jpeg": cmyk_jpeg,
    "exif-rotated": exif_rotated_jpeg,
    "animated-webp": lambda: _animation("WEBP"),
}


@pytest.mark.parametrize("case", CASES)
def test_upload_is_translated_as_the_picture_it_shows(case, pool):
    upload, shown = CASES[case]()
    url_path = "/v1/translate?model=red2blue&direction=AtoB&format=png"
    with running(ServeSettings(port=0), pool) as url:
        got = call(url + url_path, upload)
        want = call(url + url_path, _encode(shown, "PNG"))
    assert got.status == 200, got.body[:300]
    assert want.status == 200
    with Image.open(io.BytesIO(got.body)) as out:
        assert out.mode == "RGB" and out.size == shown.size
    assert got.body == want.body


def test_the_cases_differ_from_a_naive_decode():
    """Each expected picture is not what a plain ``Image.open(...).convert("RGB")`` gives, so a server that
    decoded that way would fail the test above."""
    for case in ("rgba", "16-bit", "exif-rotated"):
        upload, shown = CASES[case]()
        with Image.open(io.BytesIO(upload)) as naive:
            plain = naive.convert("RGB")
        assert plain.size != shown.size or not np.array_equal(np.asarray(plain), np.asarray(shown)), case


def test_gif_is_refused_with_the_formats_that_are_read(pool):
    upload, _ = _animation("GIF")
    with running(ServeSettings(port=0), pool) as url:
        got = call(url + "/v1/translate?model=red2blue&direction=AtoB", upload)
    assert got.status == 415
    assert b"PNG, JPEG, WebP, BMP or TIFF" in got.body
