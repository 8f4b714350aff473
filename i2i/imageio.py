"""Torch-free image input/output: read to RGB, uint8 <-> float, pad to a multiple and crop back, atomic write.

This module imports only numpy and Pillow, so the onnxruntime translate path can use it where torch is not
installed (a test enforces that importing it leaves ``torch`` out of ``sys.modules``).

Value ranges: :func:`to_float_chw` gives float32 (3, H, W) in [0, 1]; :func:`from_float_chw` takes the same
range back to uint8. The [-1, 1] range networks use is the caller's conversion (``x * 2 - 1``), made once.

Transparency: images with an alpha channel (RGBA, LA, palette with transparency) are composited on **white**
before dropping alpha, so transparent areas become white rather than whatever colour the hidden pixels hold.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin

from i2i.errors import I2IError, ImageReadError
from i2i.files import NotARegularFileError, open_regular_file, regular_file_problem

__all__ = [
    "IMAGE_EXTENSIONS",
    "crop_to",
    "decode_image",
    "encode_image",
    "from_float_chw",
    "is_image_path",
    "list_images",
    "pad_to_multiple",
    "read_image",
    "to_float_chw",
    "to_rgb",
    "write_image_atomic",
]

#: File suffixes treated as images (lower case, with the dot); matching is case-insensitive.
IMAGE_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})

PadMode = str  # "reflect" | "symmetric" | "edge" | "constant"
_PAD_MODES = ("reflect", "symmetric", "edge", "constant")


def is_image_path(path: str | os.PathLike[str]) -> bool:
    """True when the file name ends in one of :data:`IMAGE_EXTENSIONS` (any case)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())


def _high_depth_to_rgb(img: Image.Image) -> Image.Image:
    """16-bit / 32-bit integer and float greyscale to 8-bit RGB (Pillow's convert would clip, not scale)."""
    arr = np.asarray(img)
    if img.mode.startswith("I;16") or (img.mode == "I" and arr.size and arr.max() > 255):
        arr8 = np.clip(np.rint(arr.astype(np.float64) / 257.0), 0, 255)
    elif img.mode == "F" and arr.size and float(np.nanmax(arr)) <= 1.0:
        arr8 = np.clip(np.rint(np.nan_to_num(arr) * 255.0), 0, 255)
    else:
        arr8 = np.clip(np.rint(np.nan_to_num(arr.astype(np.float64))), 0, 255)
    return Image.fromarray(arr8.astype(np.uint8), mode="L").convert("RGB")


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB. Alpha is composited on white; 16-bit greyscale is scaled, not clipped."""
    if img.mode == "RGB":
        return img
    if img.mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode.startswith("I") or img.mode == "F":
        return _high_depth_to_rgb(img)
    return img.convert("RGB")


def read_image(path: str | os.PathLike[str]) -> Image.Image:
    """Read an image file as a fully decoded RGB :class:`PIL.Image.Image`.

    EXIF orientation is applied (a phone photo comes out upright), greyscale/palette/CMYK/16-bit are
    converted to RGB, and alpha is composited on white. The whole file is decoded here, so a truncated or
    corrupt file fails in this call, not later.

    Raises:
        ImageReadError: ``"<path>: <reason>"`` for a missing file, a folder, a file Pillow cannot identify,
            or image data that cannot be decoded.
    """
    path = Path(path)
    if path.is_dir():
        raise ImageReadError(f"{path}: is a folder, not an image")
    try:
        fh = open_regular_file(path)
    except NotARegularFileError as err:
        raise ImageReadError(f"{path}: {err}") from None
    with fh:
        return _decode(fh, str(path))


def decode_image(data: bytes, name: str) -> Image.Image:
    """Decode an image file's bytes exactly as :func:`read_image` decodes the file (for files read from
    object stores); ``name`` (a path or URI) prefixes error messages.

    Raises:
        ImageReadError: ``"<name>: <reason>"`` for data that is not a decodable image.
    """
    return _decode(io.BytesIO(data), name)


def _decode(source: IO[bytes], name: str) -> Image.Image:
    try:
        with Image.open(source) as im:
            im.load()
            img = ImageOps.exif_transpose(im)
            if img is None:  # only when in_place=True; kept for type checkers
                img = im.copy()
            return to_rgb(img)
    except ImageReadError:
        raise
    except Image.UnidentifiedImageError:
        raise ImageReadError(f"{name}: not a recognised image file") from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as err:
        raise ImageReadError(f"{name}: cannot decode image ({_one_line(err)})") from None
    except Exception as err:  # plugin bugs on hostile files (struct.error, IndexError, ...)
        reason = f"{type(err).__name__}: {_one_line(err)}"
        raise ImageReadError(f"{name}: cannot decode image ({reason})") from None


def resize_long_side(img: Image.Image, size: int) -> Image.Image:
    """``img`` scaled (Lanczos, aspect kept) to a long side of ``size`` pixels; unchanged if it is already."""
    scale = size / max(img.size)
    if scale == 1:
        return img
    new = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(new, Image.Resampling.LANCZOS)


def to_float_chw(img: Image.Image) -> np.ndarray:
    """PIL image -> float32 array of shape (3, H, W) with values in [0, 1] (non-RGB input goes through
    :func:`to_rgb` first)."""
    return rgb_to_float_chw(np.asarray(to_rgb(img)))


def rgb_to_float_chw(rgb: np.ndarray) -> np.ndarray:
    """uint8 (or float 0..255) array (H, W, 3) -> C-contiguous float32 (3, H, W) in [0, 1], in one buffer."""
    chw = np.ascontiguousarray(rgb.transpose(2, 0, 1), dtype=np.float32)
    chw /= np.float32(255.0)
    return chw


def from_float_chw(arr: np.ndarray) -> Image.Image:
    """Float array (3, H, W) or (1, H, W) or (H, W) in [0, 1] -> uint8 PIL image (RGB or L).

    Values are clipped to [0, 1] and rounded to the nearest uint8 level; NaN becomes 0.
    """
    a = np.asarray(arr, dtype=np.float32)
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[0] == 3:
        a = a.transpose(1, 2, 0)
    elif a.ndim != 2:
        raise ValueError(f"expected an array of shape (3, H, W), (1, H, W) or (H, W), got {a.shape}")
    u8 = to_uint8(a)
    return Image.fromarray(np.ascontiguousarray(u8), mode="RGB" if u8.ndim == 3 else "L")


def to_uint8(arr: np.ndarray) -> np.ndarray:
    """Float array in [0, 1], any shape -> C-contiguous uint8 array of that shape: scaled by 255 in
    float32, rounded to the nearest level (ties to even) and clipped to 0..255; NaN becomes 0, +-inf 255
    and 0.

    One float32 buffer, changed in place: a video frame's worth of temporaries per step cost more than the
    arithmetic (``fmax`` / ``fmin`` rather than ``clip``: they return the bound for NaN)."""
    scaled = np.multiply(arr, np.float32(255.0), dtype=np.float32, order="C")
    np.rint(scaled, out=scaled)
    np.fmax(scaled, np.float32(0.0), out=scaled)
    np.fmin(scaled, np.float32(255.0), out=scaled)
    return scaled.astype(np.uint8)


def _pad_axis(arr: np.ndarray, axis: int, amount: int, mode: str) -> np.ndarray:
    if amount <= 0:
        return arr
    side = arr.shape[axis]
    widths = [(0, 0)] * arr.ndim
    if mode == "reflect" and side < 2:
        # Reflection needs two samples; a 1-pixel side can only be repeated.
        mode = "edge"
    if mode == "reflect":
        # np.pad reflects at most (side - 1) samples per step; do it in steps so any pad size works on
        # any numpy version and the result is the same as repeated reflection.
        out = arr
        remaining = amount
        while remaining > 0:
            step = min(remaining, out.shape[axis] - 1)
            widths[axis] = (0, step)
            out = np.pad(out, widths, mode="reflect")
            remaining -= step
        return out
    widths[axis] = (0, amount)
    if mode == "constant":
        return np.pad(arr, widths, mode="constant", constant_values=0)
    return np.pad(arr, widths, mode=mode)


def pad_to_multiple(
    arr: np.ndarray, multiple: int, mode: PadMode = "reflect", min_size: int = 0
) -> tuple[np.ndarray, tuple[int, int]]:
    """Pad the last two axes (H, W) at the bottom and right up to multiples of ``multiple`` (and to at
    least ``min_size``, itself rounded up to the multiple).

    Works for (C, H, W), (N, C, H, W) or (H, W) arrays of any dtype. ``mode`` is ``"reflect"`` (default,
    mirror without repeating the edge), ``"symmetric"``, ``"edge"`` or ``"constant"`` (zeros). Reflection
    larger than the side is done by reflecting repeatedly; a 1-pixel side falls back to ``"edge"``.

    Returns:
        ``(padded, (orig_h, orig_w))``; undo with ``crop_to(padded, orig_h, orig_w)``.
    """
    if not isinstance(multiple, int) or multiple < 1:
        raise ValueError(f"multiple must be a positive integer, got {multiple!r}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    if arr.ndim < 2:
        raise ValueError(f"expected an array with at least 2 dimensions (H, W), got shape {arr.shape}")
    h, w = arr.shape[-2], arr.shape[-1]
    if h == 0 or w == 0:
        raise ValueError(f"cannot pad an empty image of shape {arr.shape}")
    floor = -(-max(0, min_size) // multiple) * multiple
    pad_h = max((-h) % multiple, floor - h)
    pad_w = max((-w) % multiple, floor - w)
    out = _pad_axis(arr, arr.ndim - 2, pad_h, mode)
    out = _pad_axis(out, arr.ndim - 1, pad_w, mode)
    return out, (h, w)


def crop_to(arr: np.ndarray, h: int, w: int) -> np.ndarray:
    """The top-left ``h`` x ``w`` window of the last two axes (the inverse of :func:`pad_to_multiple`)."""
    if h < 1 or w < 1 or h > arr.shape[-2] or w > arr.shape[-1]:
        raise ValueError(f"cannot crop shape {arr.shape} to {h}x{w}")
    return arr[..., :h, :w]


def _format_for(path: Path, format: str | None) -> str:
    if format is not None:
        return format.upper()
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise I2IError(
            f"{path}: cannot tell the image format from the suffix {path.suffix!r}; "
            f"use one of {', '.join(sorted(IMAGE_EXTENSIONS))}"
        )
    return fmt


def _save_params(
    img: Image.Image, fmt: str, quality: int, text: Mapping[str, str] | None = None
) -> tuple[Image.Image, dict[str, object]]:
    """The image and ``Image.save`` options for ``fmt``: JPEG drops alpha, JPEG/WebP take ``quality``,
    PNG keeps ``text`` as iTXt chunks (other formats drop it)."""
    if fmt == "JPEG" and img.mode not in ("RGB", "L", "CMYK"):
        img = to_rgb(img)
    params: dict[str, object] = {}
    if fmt in ("JPEG", "WEBP"):
        params["quality"] = int(quality)
    if fmt == "PNG" and text:
        info = PngImagePlugin.PngInfo()
        for key, value in text.items():
            info.add_itxt(key, value)
        params["pnginfo"] = info
    return img, params


def encode_image(img: Image.Image, name: str, format: str | None = None, quality: int = 95) -> bytes:
    """The bytes :func:`write_image_atomic` would write for ``name`` (format from its suffix unless
    ``format`` is given), for targets that are not local files (object stores).

    Raises:
        I2IError: the suffix names no known format.
    """
    fmt = _format_for(Path(name), format)
    img, params = _save_params(img, fmt, quality)
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def write_image_atomic(
    img: Image.Image,
    path: str | os.PathLike[str],
    format: str | None = None,
    quality: int = 95,
    *,
    overwrite: bool = False,
    text: Mapping[str, str] | None = None,
) -> Path:
    """Write ``img`` to ``path`` so that readers never see a half-written file.

    The image is written to a hidden temporary file in the same folder, flushed to disk, then moved into
    place in one step (``os.link`` when not overwriting, so a file that appears meanwhile is not clobbered;
    ``os.replace`` otherwise). The parent folder is created if needed. ``format`` defaults to the one the
    suffix names; ``quality`` applies to JPEG and WebP. JPEG output drops alpha (composited on white).
    ``text``: key -> value notes kept in a PNG (how the image was made); other formats drop them.

    Raises:
        I2IError: the path exists and ``overwrite`` is False, or the suffix names no known format.
    """
    path = Path(path)
    fmt = _format_for(path, format)
    if path.exists() and not overwrite:
        raise I2IError(f"{path}: already exists (pass overwrite=True / --overwrite to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    img, params = _save_params(img, fmt, quality, text)
    tmp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies, unlike mkstemp
        with os.fdopen(fd, "wb") as fh:
            img.save(fh, format=fmt, **params)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise I2IError(
                    f"{path}: already exists (pass overwrite=True / --overwrite to replace it)"
                ) from None
            except OSError:  # filesystem without hard links
                if path.exists():
                    raise I2IError(
                        f"{path}: already exists (pass overwrite=True / --overwrite to replace it)"
                    ) from None
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


#: ``write_image_atomic``'s temporary names: ``.NAME.PID-RANDOM.tmp``.
_TEMP_NAME = re.compile(r"\..+\.(\d+)-[0-9a-f]{12}\.tmp")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its files
    return True


def remove_orphaned_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the hidden temporary files :func:`write_image_atomic` left in ``folder`` (not recursive)
    when its process was killed; files of processes still running are kept. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match and entry.is_file(follow_symlinks=False) and not _process_alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def list_images(
    folder: str | os.PathLike[str], recursive: bool = True
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Image files under ``folder``, sorted by path, and the files skipped with a reason.

    Files whose suffix is not in :data:`IMAGE_EXTENSIONS` are returned in ``skipped`` as
    ``(path, reason)``; they are not opened, so a corrupt file with an image suffix is listed as an image
    and fails later in :func:`read_image`. Hidden folders (``.name``) are not entered.

    Raises:
        I2IError: ``folder`` does not exist or is not a folder.
    """
    folder = Path(folder)
    if not folder.exists():
        raise I2IError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise I2IError(f"{folder}: is a file, expected a folder of images")
    images: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    if recursive:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                _classify(Path(dirpath) / name, images, skipped)
    else:
        for entry in folder.iterdir():
            if not entry.is_dir():
                _classify(entry, images, skipped)
    images.sort(key=lambda p: p.as_posix())
    skipped.sort(key=lambda item: item[0].as_posix())
    return images, skipped


def _classify(path: Path, images: list[Path], skipped: list[tuple[Path, str]]) -> None:
    if is_image_path(path):
        problem = regular_file_problem(path)
        if problem is None:
            images.append(path)
        else:
            skipped.append((path, problem))
    else:
        suffix = path.suffix.lower() or "no suffix"
        skipped.append((path, f"not an image file extension ({suffix})"))
