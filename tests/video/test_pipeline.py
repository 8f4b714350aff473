"""The video pipeline with a numpy 'model': frames, rate, size, audio and rotation kept; padding to the
size multiple; failures leave no file; one bad clip does not stop the others."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from i2i.errors import I2IError
from i2i.runtime.inputs import Job
from i2i.runtime.translate_options import TranslateOptions, VideoOptions
from i2i.video.pipeline import ClipInterrupted, translate_video, translate_videos

from .conftest import av, packets, pattern, read_frames

PLAIN = VideoOptions(stabilise=False)


def invert_checking(multiple: int, calls: list[tuple[int, ...]] | None = None):
    """1 - x, asserting the batch is padded to ``multiple``; records the shapes it was given."""

    def infer(batch: np.ndarray) -> np.ndarray:
        assert batch.dtype == np.float32 and batch.ndim == 4 and batch.shape[1] == 3
        assert batch.shape[2] % multiple == 0 and batch.shape[3] % multiple == 0
        assert batch.min() >= 0.0 and batch.max() <= 1.0
        if calls is not None:
            calls.append(batch.shape)
        return 1.0 - batch

    return infer


def test_frames_rate_size_audio_and_rotation_are_kept(clip, tmp_path):
    source = clip(frames=8, size=(66, 50), rate=Fraction(30000, 1001), audio=True, rotation=90)
    target = tmp_path / "out" / "clip.mp4"
    calls: list[tuple[int, ...]] = []
    written = translate_video(
        invert_checking(8, calls), source, target, multiple=8, options=TranslateOptions(batch=3), video=PLAIN
    )
    assert written == 8
    assert calls == [(3, 3, 56, 72), (3, 3, 56, 72), (2, 3, 56, 72)]  # batched, padded to multiples of 8
    with av.open(str(target)) as out, av.open(str(source)) as inp:
        o, i = out.streams.video[0], inp.streams.video[0]
        assert (o.frames, o.average_rate) == (8, Fraction(30000, 1001)) == (i.frames, i.average_rate)
        assert (o.codec_context.width, o.codec_context.height, o.codec_context.name) == (66, 50, "h264")
        assert next(out.decode(video=0)).rotation == 90
        assert [s.codec_context.name for s in out.streams.audio] == ["aac"]
    assert packets(target, "audio") == packets(source, "audio")  # remuxed, not re-encoded
    frames, inputs = read_frames(target), read_frames(source)
    error = np.abs(frames[3].astype(np.int16) - (255 - inputs[3].astype(np.int16))).mean()
    assert error < 4.0  # the model's output, up to H.264 at CRF 18


def test_other_codec_and_container(clip, tmp_path):
    source = clip("c.mkv", frames=4)
    target = tmp_path / "out" / "c.mkv"
    translate_video(invert_checking(4), source, target, multiple=4, video=VideoOptions(codec="mpeg4"))
    with av.open(str(target)) as out:
        assert out.format.name == "matroska,webm" and out.streams.video[0].codec_context.name == "mpeg4"
    with pytest.raises(I2IError, match="--codec nonsense: no such video encoder"):
        translate_video(
            invert_checking(4), source, tmp_path / "x.mkv", multiple=4, video=VideoOptions(codec="nonsense")
        )


def test_an_error_mid_clip_leaves_no_file(clip, tmp_path):
    source = clip(frames=8)
    out = tmp_path / "out"
    seen = []

    def failing(batch: np.ndarray) -> np.ndarray:
        seen.append(1)
        if len(seen) == 5:
            raise RuntimeError("out of memory")
        return batch

    with pytest.raises(I2IError, match="inference failed: out of memory"):
        translate_video(failing, source, out / "clip.mp4", multiple=4)
    assert list(out.iterdir()) == []  # neither the clip nor its temporary file


def test_ctrl_c_abandons_the_clip_without_a_file(clip, tmp_path):
    class Stop:
        interrupted = False

    stop = Stop()

    def infer(batch: np.ndarray) -> np.ndarray:
        stop.interrupted = True  # Ctrl-C during the first frame
        return batch

    out = tmp_path / "out"
    with pytest.raises(ClipInterrupted):
        translate_video(infer, clip(frames=8), out / "clip.mp4", multiple=4, stop=stop)
    assert list(out.iterdir()) == []


def test_a_bad_clip_is_one_failure_and_the_rest_are_written(clip, tmp_path):
    good, other = clip("a.mp4", frames=3), clip("c.mov", frames=3)
    bad = tmp_path / "in" / "b.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video at all")
    out = tmp_path / "out"
    jobs = [Job(p, out / p.name) for p in (good, bad, other)]
    results = []
    summary = translate_videos(
        invert_checking(4),
        jobs,
        multiple=4,
        video=PLAIN,
        on_result=lambda job, status, reason: results.append((job.source.name, status, reason)),
    )
    assert (summary.done, summary.skipped, len(summary.failures), summary.frames) == (2, 0, 1, 6)
    assert results[1][:2] == ("b.mp4", "failed") and results[1][2].startswith("cannot read video (")
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", "c.mov"]
    again = translate_videos(invert_checking(4), jobs[:1], multiple=4, video=PLAIN)
    assert (again.done, again.skipped) == (0, 1)  # an existing output is skipped unless --overwrite


def test_tiles_and_resize_keep_the_input_size(clip, tmp_path):
    source = clip(frames=3, size=(64, 48))
    target = tmp_path / "t.mp4"
    translate_video(
        invert_checking(4), source, target, multiple=4, options=TranslateOptions(tile=32, overlap=8)
    )
    small = tmp_path / "r.mp4"
    calls: list[tuple[int, ...]] = []
    translate_video(invert_checking(4, calls), source, small, multiple=4, options=TranslateOptions(resize=32))
    assert calls[0][2:] == (24, 32)  # the model saw 32x24 frames ...
    assert read_frames(small)[0].shape == read_frames(target)[0].shape == (48, 64, 3)  # ... written at 64x48
    assert pattern(0).shape == (48, 64, 3)


def test_a_clip_whose_encoder_fails_is_its_own_failure_and_the_batch_goes_on(clip, tmp_path, monkeypatch):
    """The encode thread's error is the clip's failure, not the decode thread's ClipInterrupted that it
    caused (which the batch would take for Ctrl-C and stop): the next clip is still written."""
    from i2i.video import encode

    first, second = clip("a.mp4", frames=4), clip("b.mp4", frames=4)
    real_write = encode.VideoWriter.write

    def write(self, rgb, *args, **kwargs):
        if "a.mp4" in str(self.target):
            raise RuntimeError("encoder rejected the frame")
        return real_write(self, rgb, *args, **kwargs)

    monkeypatch.setattr(encode.VideoWriter, "write", write)
    out = tmp_path / "out"
    jobs = [Job(p, out / p.name) for p in (first, second)]
    summary = translate_videos(invert_checking(4), jobs, multiple=4, video=PLAIN)
    assert not summary.interrupted and summary.done == 1
    failures = [(f.path.name, f.reason) for f in summary.failures]
    assert failures == [("a.mp4", "RuntimeError: encoder rejected the frame")]
    assert sorted(p.name for p in out.iterdir()) == ["b.mp4"]
