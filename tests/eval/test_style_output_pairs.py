"""`i2i eval style --outputs`: which finished image belongs to which photo (torch-free)."""

from __future__ import annotations

import pytest

from i2i.errors import I2IError
from i2i.eval.output_pairs import pair_outputs


def _touch(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return [root / name for name in names]


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / "photos"
    return root, _touch(root, "a.jpg", "b.c.jpg", "sub/d.jpg")


def test_translate_names_keep_the_relative_path_and_any_suffix(photos, tmp_path):
    root, paths = photos
    out = tmp_path / "out"
    expected = _touch(out, "a.png", "b.c.jpg", "sub/d.webp", "unclaimed.png")
    assert pair_outputs(root, paths, out, "starry") == expected[:3]


def test_stylize_names_carry_the_style_tag_beside_or_flat(photos, tmp_path):
    root, paths = photos
    beside = _touch(tmp_path / "beside", "a.starry.png", "b.c.starry.png", "sub/d.starry.png")
    assert pair_outputs(root, paths, tmp_path / "beside", "starry") == beside
    flat = _touch(tmp_path / "flat", "a.starry.png", "b.c.starry.png", "d.starry.png")
    assert pair_outputs(root, paths, tmp_path / "flat", "starry") == flat


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["a.png", "b.c.png"], r"d\.jpg: no output for this photo \(looked for .*sub/d\.\* or"),
        (["a.png", "a.starry.png", "b.c.png", "sub/d.png"], r"a\.jpg: 2 outputs match"),
        (["a.png", "b.c.png", "sub/d.png", "sub/d.jpg"], r"d\.jpg: 2 outputs match"),
    ],
)
def test_missing_and_ambiguous_outputs_are_one_line_errors(photos, tmp_path, names, message):
    root, paths = photos
    _touch(tmp_path / "out", *names)
    with pytest.raises(I2IError, match=message) as info:
        pair_outputs(root, paths, tmp_path / "out", "starry")
    assert "\n" not in str(info.value)


def test_one_output_cannot_serve_two_photos(tmp_path):
    root = tmp_path / "photos"
    paths = _touch(root, "d.jpg", "sub/d.jpg")
    _touch(tmp_path / "out", "d.png")
    with pytest.raises(I2IError, match=r"d\.png: the output of both"):
        pair_outputs(root, paths, tmp_path / "out", "starry")


def test_outputs_must_lie_outside_the_photos(photos, tmp_path):
    root, paths = photos
    for outputs in (root, root / "sub"):
        with pytest.raises(I2IError, match="must be a folder outside --photos"):
            pair_outputs(root, paths, outputs, "starry")
    with pytest.raises(I2IError, match="no such folder"):
        pair_outputs(root, paths, tmp_path / "nowhere", "starry")


def test_the_messages_name_the_option_that_gave_the_folder(photos, tmp_path):
    root, paths = photos
    with pytest.raises(I2IError, match=r"no such folder \(--against\)"):
        pair_outputs(root, paths, tmp_path / "nowhere", "starry", flag="--against")
    with pytest.raises(I2IError, match="--against must be a folder outside --photos"):
        pair_outputs(root, paths, root, "starry", flag="--against")
