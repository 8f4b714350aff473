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
    assert (
        translate_video(
            identity, source, target, multiple=4, video=VideoOptions(stabilise=False, codec=codec)
        )
        == 3
    )
    assert stream_facts(target)[0] == "yuv420p"
    assert len(read_frames(target)) == 3


def make_709_clip(path, frames=3, size=(64, 48)):
    """A BT.709-tagged H.264 clip of a flat colour whose BT.601 and BT.709 YUV differ a lot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {"crf": "10"}
        ctx = video.codec_context
        ctx.colorspace = ctx.color_primaries = ctx.color_trc = 1
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[..., 0], img[..., 2] = 200, 40
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(
                format="yuv420p", dst_colorspace="itu709"
            )
            frame.pts, frame.colorspace = i, 1
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    return path


def colour(path):
    """(colorspace, primaries, trc) of the first frame and its mean Y, U, V."""
    with av.open(str(path)) as clip:
        frame = next(clip.decode(video=0))
        yuv = frame.reformat(format="yuv420p")
        planes = [yuv.to_ndarray()[: frame.height].mean()]
        chroma = yuv.to_ndarray()[frame.height :].reshape(-1)
        planes += [chroma[: chroma.size // 2].mean(), chroma[chroma.size // 2 :].mean()]
        return (int(frame.colorspace), int(frame.color_primaries), int(frame.color_trc)), np.array(planes)


def test_bt709_matrix_and_tags_are_kept(tmp_path):
    source = make_709_clip(tmp_path / "in" / "hd.mp4")
    target = tmp_path / "out" / "hd.mp4"
    translate_video(identity, source, target, multiple=4, video=PLAIN)
    tags_in, yuv_in = colour(source)
    tags_out, yuv_out = colour(target)
    assert tags_in == tags_out == (1, 1, 1)
    assert np.abs(yuv_out - yuv_in).max() < 2.5, (yuv_in, yuv_out)


@pytest.mark.parametrize("rate", [Fraction(25), Fraction(30000, 1001)])
def test_avi_output_keeps_rate_count_and_order(clip, tmp_path, rate):
    source = clip(frames=10, rate=rate)
    target = tmp_path / "out" / "clip.avi"
    assert translate_video(identity, source, target, multiple=4, video=PLAIN) == 10
    with av.open(str(target)) as out:
        stream = out.streams.video[0]
        assert stream.average_rate == rate and stream.time_base == 1 / rate
    before, after = read_frames(source), read_frames(target)
    assert len(after) == 10
    for i, frame in enumerate(after):  # in order: each is nearest to the input frame it came from
        errors = [np.abs(frame.astype(int) - b).mean() for b in before]
        assert int(np.argmin(errors)) == i
