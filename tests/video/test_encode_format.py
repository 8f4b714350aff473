"""What the encoder writes: yuv420p at an even size for any input size, the input's colour matrix and
tags, and a constant frame rate in AVI."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from i2i.runtime.translate_options import VideoOptions
from i2i.video.pipeline import translate_video

from .conftest import av, read_frames

PLAIN = VideoOptions(stabilise=False)


def identity(batch: np.ndarray) -> np.ndarray:
    return batch


def stream_facts(path):
    with av.open(str(path)) as clip:
        ctx = clip.streams.video[0].codec_context
        return ctx.pix_fmt, ctx.width, ctx.height


def test_odd_size_is_written_yuv420p_padded_to_even(clip, tmp_path):
    source = clip(frames=5, size=(65, 47), pix_fmt="yuv444p")
    target = tmp_path / "out" / "clip.mp4"
    assert translate_video(identity, source, target, multiple=4, video=PLAIN) == 5
    assert stream_facts(target) == ("yuv420p", 66, 48)
    frames = read_frames(target)
    assert len(frames) == 5
    before = read_frames(source)[2].astype(int)
    after = frames[2].astype(int)
    assert np.abs(after[:47, :65] - before).mean() < 6  # the picture is where it was
    assert np.abs(after[47, :65] - before[46]).mean() < 12  # the padding repeats the last row


@pytest.mark.parametrize("codec", ["h265", "mpeg4"])
def test_odd_size_other_encoders(clip, tmp_path, codec):
    source = clip(frames=3, size=(65, 47), pix_fmt="yuv444p")
    target = tmp_path / "out" / "clip.mp4"
    assert translate_video(identity, source, target, multiple=4, video=VideoOptions(stabilise=False, codec=codec)) == 3
    assert stream_facts(target)[0] == "yuv420p"
    assert len(read_frames(target)) == 3
