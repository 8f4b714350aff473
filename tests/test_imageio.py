"""i2i.imageio: reading to RGB, float conversion, pad/crop, atomic writes, folder listing, no torch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2i.errors import I2IError, ImageReadError
from i2i.imageio import (
    IMAGE_EXTENSIONS,
    crop_to,
    from_float_chw,
    list_images,
    pad_to_multiple,
    read_image,
    to_float_chw,
    to_uint8,
    write_image_atomic,
)


def _noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_importing_imageio_does_not_import_torch():
    code = "import sys, i2i.imageio; assert 'torch' not in sys.modules, sorted(sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_float_round_trip_is_exact_for_uint8():
    arr = _noise(5, 7)
    img = Image.fromarray(arr)
    chw = to_float_chw(img)
    assert chw.dtype == np.float32 and chw.shape == (3, 5, 7)
    assert chw.min() >= 0.0 and chw.max() <= 1.0
    np.testing.assert_array_equal(chw[:, 2, 3], arr[2, 3] / np.float32(255))
    np.testing.assert_array_equal(np.asarray(from_float_chw(chw)), arr)


def test_from_float_clips_and_rounds():
    arr = np.array([[[-0.5, 0.4 / 255, 1.6 / 255, 2.0, np.nan]]] * 3, dtype=np.float32)
    out = np.asarray(from_float_chw(arr))
    assert out.shape == (1, 5, 3)
    assert out[0, :, 0].tolist() == [0, 0, 2, 255, 0]  # 0.4 -> 0, 1.6 -> 2: nearest level


def test_to_uint8_is_clip_scale_round_in_one_buffer():
    a = np.random.default_rng(3).uniform(-0.3, 1.3, (3, 9, 11)).astype(np.float32)
    a[0, 0, :4] = [np.nan, np.inf, -np.inf, 2.5 / 255]  # 2.5 is a tie: to even, 2
    before = a.copy()
    for view in (a, a.transpose(1, 2, 0)):  # the pipeline hands it a (H, W, C) view of (C, H, W)
        reference = np.rint(np.clip(np.nan_to_num(view, nan=0.0), 0.0, 1.0) * 255.0).astype(np.uint8)
        out = to_uint8(view)
        np.testing.assert_array_equal(out, reference)
        assert out.dtype == np.uint8 and out.shape == view.shape and out.flags.c_contiguous
    assert to_uint8(a)[0, 0, :4].tolist() == [0, 255, 0, 2]
    np.testing.assert_array_equal(a, before)  # the input is not changed


@pytest.mark.parametrize("shape", [(3, 1, 1), (3, 3, 5), (3, 17, 9), (2, 3, 1, 2)])
@pytest.mark.parametrize("mode", ["reflect", "symmetric", "edge", "constant"])
def test_pad_to_multiple_then_crop_round_trips(shape, mode):
    arr = np.random.default_rng(1).random(shape).astype(np.float32)
    padded, (h, w) = pad_to_multiple(arr, 8, mode=mode)
    assert (h, w) == shape[-2:]
    assert padded.shape[-2] % 8 == 0 and padded.shape[-1] % 8 == 0
    assert padded.shape[-2] - h < 8 and padded.shape[-1] - w < 8
    np.testing.assert_array_equal(crop_to(padded, h, w), arr)


def test_reflect_pad_larger_than_the_side_reflects_repeatedly():
    row = np.arange(3, dtype=np.float32).reshape(1, 1, 3)
    padded, _ = pad_to_multiple(row, 8)
    assert padded[0, 0].tolist() == [0, 1, 2, 1, 0, 1, 2, 1]
    one, _ = pad_to_multiple(np.full((3, 1, 1), 0.25, dtype=np.float32), 4)  # 1 px: reflect -> edge
    assert one.shape == (3, 4, 4) and np.all(one == 0.25)


def test_pad_to_multiple_is_a_no_op_on_multiples_and_validates():
    arr = np.zeros((3, 16, 8), dtype=np.uint8)
    padded, size = pad_to_multiple(arr, 8)
    assert padded.shape == arr.shape and size == (16, 8)
    with pytest.raises(ValueError):
        pad_to_multiple(arr, 0)
    with pytest.raises(ValueError):
        pad_to_multiple(arr, 4, mode="wrap-around")
    with pytest.raises(ValueError):
        crop_to(arr, 17, 8)


def test_read_image_honours_exif_orientation(tmp_path):
    arr = np.zeros((4, 6, 3), dtype=np.uint8)  # stored 6 wide x 4 high, red in the top-left corner
    arr[:2, :2] = (255, 0, 0)
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif, quality=100)

    out = read_image(path)

    assert out.mode == "RGB"
    assert out.size == (4, 6)  # displayed upright: 4 wide x 6 high
    top_right = np.asarray(out)[0, -1]
    assert top_right[0] > 200 and top_right[1] < 60  # the red corner moved to the top right


def test_read_image_converts_grayscale_palette_and_rgba(tmp_path):
    Image.fromarray(np.full((3, 4), 77, dtype=np.uint8), mode="L").save(tmp_path / "g.png")
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (10, 20, 30, 255)  # opaque pixel keeps its colour
    rgba[1, 1] = (0, 0, 0, 0)  # transparent pixel becomes white
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    Image.fromarray(_noise(4, 4)).convert("P").save(tmp_path / "p.png")
    Image.fromarray(np.full((2, 2), 65535, dtype=np.uint16)).save(tmp_path / "deep.png")

    gray = read_image(tmp_path / "g.png")
    alpha = np.asarray(read_image(tmp_path / "a.png"))

    assert gray.mode == "RGB" and np.asarray(gray)[0, 0].tolist() == [77, 77, 77]
    assert alpha[0, 0].tolist() == [10, 20, 30]
    assert alpha[1, 1].tolist() == [255, 255, 255]
    assert read_image(tmp_path / "p.png").mode == "RGB"
    assert np.asarray(read_image(tmp_path / "deep.png"))[0, 0].tolist() == [255, 255, 255]


def test_read_image_errors_name_the_path(tmp_path):
    with pytest.raises(ImageReadError, match=rf"^{re.escape(str(tmp_path / 'nope.png'))}: no such file$"):
        read_image(tmp_path / "nope.png")
    (tmp_path / "text.jpg").write_text("not an image")
    with pytest.raises(ImageReadError, match=r"text\.jpg: not a recognised image file"):
        read_image(tmp_path / "text.jpg")
    Image.fromarray(_noise(64, 64)).save(tmp_path / "full.jpg", quality=90)
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match=r"cut\.jpg: cannot decode image") as info:
        read_image(tmp_path / "cut.jpg")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, I2IError)


def test_write_image_atomic_writes_refuses_overwrite_and_leaves_no_temp(tmp_path):
    img = Image.fromarray(_noise(6, 5))
    path = tmp_path / "out" / "x.png"

    assert write_image_atomic(img, path) == path
    np.testing.assert_array_equal(np.asarray(Image.open(path)), np.asarray(img))
    with pytest.raises(I2IError, match="already exists"):
        write_image_atomic(Image.new("RGB", (5, 6)), path)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), np.asarray(img))  # untouched

    write_image_atomic(Image.new("RGB", (5, 6)), path, overwrite=True)
    assert np.asarray(Image.open(path)).max() == 0
    write_image_atomic(img, tmp_path / "out" / "y.JPG", quality=80)
    assert Image.open(tmp_path / "out" / "y.JPG").format == "JPEG"
    write_image_atomic(img, tmp_path / "out" / "z.bin", format="png")
    assert Image.open(tmp_path / "out" / "z.bin").format == "PNG"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.png", "y.JPG", "z.bin"]


def test_write_image_atomic_rejects_unknown_suffix(tmp_path):
    with pytest.raises(I2IError, match="cannot tell the image format"):
        write_image_atomic(Image.new("RGB", (2, 2)), tmp_path / "x.unknown")
    assert list(tmp_path.iterdir()) == []


def test_list_images_sorts_and_reports_skipped(tmp_path):
    for rel in ["b.PNG", "a.jpg", "sub/c.webp", "sub/deep/d.TIFF", "notes.txt", "README", ".hidden/e.png"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")

    images, skipped = list_images(tmp_path)
    flat, _ = list_images(tmp_path, recursive=False)

    assert [p.relative_to(tmp_path).as_posix() for p in images] == [
        "a.jpg",
        "b.PNG",
        "sub/c.webp",
        "sub/deep/d.TIFF",
    ]
    assert [(p.name, reason) for p, reason in skipped] == [
        ("README", "not an image file extension (no suffix)"),
        ("notes.txt", "not an image file extension (.txt)"),
    ]
    assert [p.name for p in flat] == ["a.jpg", "b.PNG"]
    assert {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"} == IMAGE_EXTENSIONS


def test_list_images_missing_folder_is_an_i2i_error(tmp_path):
    with pytest.raises(I2IError, match="no such folder"):
        list_images(tmp_path / "missing")
    (tmp_path / "f.png").write_bytes(b"")
    with pytest.raises(I2IError, match="is a file"):
        list_images(tmp_path / "f.png")


def test_paths_may_be_strings(tmp_path: Path):
    Image.fromarray(_noise(2, 2)).save(tmp_path / "s.png")
    assert read_image(str(tmp_path / "s.png")).size == (2, 2)
