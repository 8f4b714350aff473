"""Request bytes -> model -> response bytes, by the same steps ``i2i translate`` takes for one file.

Decoding mirrors :func:`i2i.imageio.read_image` (full decode, EXIF orientation, RGB with alpha composited
on white), the model input is :func:`i2i.runtime.model_input`, inference is
:func:`i2i.runtime.translate_whole` (reflect-pad to the size multiple, one batch of one, crop back), and
encoding matches :func:`i2i.imageio.write_image_atomic` (same format rules and quality). So the service
returns the same bytes as ``i2i translate`` writes for the same input, model and output format.

Images too large for the request's memory share run tiled (:mod:`i2i.serve.memory`), so their output
differs slightly from a whole-image run.

Before any pixel is decoded the header's size is checked against the pixel limit, so a small file that
would decompress to gigabytes (a decompression bomb) is refused without being expanded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from i2i.imageio import from_float_chw, to_rgb
from i2i.runtime import model_input, translate_tiled, translate_whole
from i2i.serve.limits import ServeError
from i2i.serve.memory import TILE_OVERLAP, need_text, plan_image

#: Pillow decoders the service accepts (the formats ``i2i translate`` reads by suffix).
INPUT_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
#: Output format option -> Pillow format (``same``: the input's format).
OUTPUT_FORMATS = {"same": None, "png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
MEDIA_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif"}
_ACCEPTED = "PNG, JPEG, WebP, BMP or TIFF"


@dataclass(frozen=True)
class Encoded:
    """An encoded output image."""

    data: bytes
    format: str  # Pillow format name
    size: tuple[int, int]  # (width, height)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Image file bytes -> an opened (header read, pixels not decoded) Pillow image within ``max_pixels``.

    Cheap enough to run before a request takes a worker slot: only the header and the chunks before the
    pixel data are read (Pillow caps each decompressed PNG text chunk at 1 MiB and all of them at 64 MiB).

    Raises:
        ServeError: 415 for an empty body, data that is not one of the accepted formats, or a header that
            cannot be read; 413 when width x height exceeds ``max_pixels`` or metadata decompresses beyond
            Pillow's limits (a zTXt/iTXt bomb).
    """
    if not data:
        raise ServeError(415, f"empty body: send an image ({_ACCEPTED})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit applies
            im = Image.open(io.BytesIO(data), formats=INPUT_FORMATS)
    except Image.UnidentifiedImageError:
        raise ServeError(415, f"not an image: the body is not {_ACCEPTED} data") from None
    except Exception as err:  # hostile headers: metadata bombs, broken chunk structure, plugin errors
        raise refusal(err) from None
    width, height = im.size
    if width * height > max_pixels:
        im.close()
        raise ServeError(
            413,
            f"image too large: {width}x{height} = {width * height:,} pixels; "
            f"this server accepts at most {max_pixels:,}",
        )
    return im


def refusal(err: BaseException) -> ServeError:
    """The 4xx for an image Pillow could not open or decode: 413 when a limit stopped it (decompression
    bomb, metadata over Pillow's text limits, out of memory), else 415; the reason on one line."""
    reason = " ".join((str(err) or type(err).__name__).split())[:300]
    limit_hit = any(word in reason.lower() for word in ("too large", "too much"))
    if limit_hit or isinstance(err, Image.DecompressionBombError | MemoryError):
        return ServeError(413, f"image cannot be decoded within this server's limits ({reason})")
    return ServeError(415, f"cannot decode image ({reason})")


def image_pixels(data: bytes, max_pixels: int) -> int:
    """Width x height from the header (:func:`open_image`'s checks and refusals), nothing decoded."""
    with open_image(data, max_pixels) as im:
        return im.width * im.height


def decode_image(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """Image file bytes -> (fully decoded RGB image, Pillow format name), as ``read_image`` decodes files.

    Raises:
        ServeError: as :func:`open_image`, and 413/415 (:func:`refusal`) when the pixel data cannot be
            decoded.
    """
    with open_image(data, max_pixels) as im:
        fmt = "JPEG" if im.format == "MPO" else str(im.format)  # multi-picture JPEG: first frame
        try:
            im.load()
            img = ImageOps.exif_transpose(im) or im.copy()
            return to_rgb(img), fmt
        except Exception as err:  # truncated/corrupt data; limits hit after the header; hostile files
            raise refusal(err) from None


def encode_image(img: Image.Image, fmt: str, quality: int) -> Encoded:
    """Encode like ``write_image_atomic``: JPEG drops alpha, ``quality`` applies to JPEG and WebP."""
    if fmt == "JPEG" and img.mode not in ("RGB", "L", "CMYK"):
        img = to_rgb(img)
    params: dict[str, object] = {"quality": int(quality)} if fmt in ("JPEG", "WEBP") else {}
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return Encoded(buffer.getvalue(), fmt, img.size)


def run_model(session, image: Image.Image, share: int | None = None) -> Image.Image:
    """One decoded RGB image through a loaded model (``session(batch)`` with an ``info``), size kept.

    ``share``: bytes this request may use (:mod:`i2i.serve.memory`); images that fit run whole, the steps
    ``i2i translate`` takes without ``--resize``/``--tile``; larger ones run tiled. None: always whole.

    Raises:
        ServeError: 413 when the image does not fit ``share`` even tiled.
    """
    info = session.info
    multiple, pad = info.size_multiple, info.input_pad
    plan = plan_image(image.width, image.height, multiple, share, pad) if share is not None else None
    if share is not None and plan is None:
        raise ServeError(
            413,
            f"image too large for this server's memory: {image.width}x{image.height} needs at least "
            f"{need_text(image.width, image.height, multiple, pad)}, each request may use "
            f"{share / 2**20:,.0f} MiB (--max-memory / --workers)",
        )
    arr = model_input(image, info.io.in_channels)
    if plan is None or plan.tile is None:
        return from_float_chw(translate_whole(session, arr, multiple))
    return from_float_chw(translate_tiled(session, arr, multiple, plan.tile, TILE_OVERLAP))


def translate_bytes(
    session, data: bytes, output: str, quality: int, max_pixels: int, share: int | None = None
) -> Encoded:
    """Image file bytes -> translated image file bytes (``output``: a key of :data:`OUTPUT_FORMATS`).

    Runs on a worker thread: decoding, inference and encoding all stay off the event loop (memory is
    given back by the caller, :class:`~i2i.serve.allocator.MemoryReleaser`).
    """
    image, in_format = decode_image(data, max_pixels)
    fmt = OUTPUT_FORMATS[output] or in_format
    return encode_image(run_model(session, image, share), fmt, quality)
