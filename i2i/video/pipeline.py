"""One clip, or a list of clips, through a model: decode, infer and encode on three threads.

A decode thread reads frames (and audio packets) with PyAV, turns them into model input (float32
(C, H, W) in [0, 1]) and, when stabilising, computes the optical flow between consecutive input frames;
the calling thread batches frames, pads them to the model's size multiple (reflection), runs the session
and crops back (or runs tiles, with ``--tile``); an encode thread stabilises, converts to uint8 and
encodes. Queues between them are bounded, so memory stays at a few frames, and the stages overlap
(the runtimes release the GIL while they compute).

A clip that cannot be read, inferred or written fails with a one-line reason and the rest go on (the
per-file rules of :mod:`i2i.batch`); its target is never left half-written (:class:`.encode.VideoWriter`).
Ctrl-C (:class:`~i2i.progress.StopControl`) abandons the clip in progress, leaving no file, and stops.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from i2i.batch import Tally, one_line, strip_prefix
from i2i.errors import I2IError
from i2i.imageio import crop_to, rgb_to_float_chw, to_uint8
from i2i.progress import StopControl
from i2i.runtime.inputs import Job, Problem
from i2i.runtime.tiling import Infer, pad_for_model, translate_tiled
from i2i.runtime.translate_options import TranslateOptions, VideoOptions
from i2i.video.decode import Frame, VideoInfo, open_clip, read_clip
from i2i.video.encode import VideoWriter
from i2i.video.stabilise import Stabiliser

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_END = object()

#: ``on_result(job, status, reason)``: ``done`` | ``skipped`` | ``failed`` for each clip.
ResultCallback = Callable[[Job, str, str], None]


@dataclass
class VideoSummary(Tally[Problem]):
    """What a video run did: clips done, skipped and failed, the frames written and the seconds taken;
    ``interrupted``: Ctrl-C stopped it."""

    frames: int = 0
    interrupted: bool = False

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class ClipInterrupted(Exception):
    """Ctrl-C stopped a clip; nothing of it was written."""


@dataclass
class _Item:
    frame: Frame
    tensor: np.ndarray  # float32 (C, h, w) in [0, 1], the model's input
    warp: Any = None  # flow.Warp from the previous frame, or None
    output: np.ndarray | None = None  # float32 (C_out, h, w) in [0, 1]


def work_size(info: VideoInfo, resize: int | None) -> tuple[int, int]:
    """(width, height) the model sees: the clip's, or scaled so the long side is ``resize`` pixels."""
    if resize is None or max(info.width, info.height) == resize:
        return info.width, info.height
    scale = resize / max(info.width, info.height)
    return max(1, round(info.width * scale)), max(1, round(info.height * scale))


class _Stage(threading.Thread):
    """A daemon thread running ``body``; its exception is kept for the caller to raise."""

    def __init__(self, name: str, body: Callable[[], None], abort: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self.body, self.abort, self.error = body, abort, None

    def run(self) -> None:
        try:
            self.body()
        except BaseException as err:  # handed to the calling thread
            self.error = err
            self.abort.set()


def _put(q: queue.Queue, item: Any, abort: threading.Event) -> None:
    while not abort.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
    raise ClipInterrupted


def _get(q: queue.Queue, abort: threading.Event) -> Any:
    while True:
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            if abort.is_set():
                raise ClipInterrupted from None


def translate_video(
    infer: Infer,
    source: Path,
    target: Path,
    *,
    multiple: int,
    in_channels: int = 3,
    options: TranslateOptions | None = None,
    video: VideoOptions | None = None,
    on_start: Callable[[VideoInfo], None] | None = None,
    on_frames: Callable[[int], None] | None = None,
    stop: StopControl | None = None,
) -> int:
    """Translate the clip ``source`` into ``target``; returns the number of frames written.

    ``infer``: float32 (N, in_channels, h, w) in [0, 1], h and w multiples of ``multiple`` -> (N, C, h,
    w) in [0, 1] (C = 1 or 3). ``on_start(info)`` is called once the clip is open, ``on_frames(n)`` after
    each ``n`` frames are encoded (from the encode thread).

    Raises:
        I2IError: the clip cannot be decoded, inferred or encoded (nothing is written).
        ClipInterrupted: Ctrl-C (``stop``) while it ran (nothing is written).
    """
    options = options or TranslateOptions()
    video = video or VideoOptions()
    if video.stabilise:
        from i2i.video.flow import FlowEstimator

        flow = FlowEstimator()
    container, info = open_clip(source)
    size = work_size(info, options.resize)
    batch = 1 if options.tile else options.batch
    abort = threading.Event()
    decoded: queue.Queue = queue.Queue(maxsize=2 * batch + 2)
    inferred: queue.Queue = queue.Queue(maxsize=2 * batch + 2)

    def decode() -> None:
        for thing in read_clip(container, None if size == (info.width, info.height) else size):
            if not isinstance(thing, Frame):
                _put(decoded, thing, abort)  # an audio packet
                continue
            tensor = rgb_to_float_chw(thing.rgb)
            if in_channels == 1:
                tensor = np.tensordot(_LUMA, tensor, axes=1)[None].astype(np.float32)
            warp = flow.step(thing.rgb) if video.stabilise else None
            _put(decoded, _Item(thing, tensor, warp), abort)
        _put(decoded, _END, abort)

    def encode(writer: VideoWriter) -> None:
        stabilise = Stabiliser() if video.stabilise else None
        while (item := _get(inferred, abort)) is not _END:
            if not isinstance(item, _Item):
                writer.mux(item)
                continue
            out = item.output
            assert out is not None
            out = np.repeat(out, 3, axis=0) if out.shape[0] == 1 else out
            hwc = out.transpose(1, 2, 0)
            if stabilise is not None:
                hwc = stabilise(np.ascontiguousarray(hwc, dtype=np.float32), item.warp)
            writer.write(to_uint8(hwc), item.frame.pts, item.frame.rotation)
            if on_frames is not None:
                on_frames(1)

    def run_batch(items: list[_Item]) -> None:
        if options.tile:
            for item in items:
                item.output = translate_tiled(
                    infer, item.tensor, multiple, options.tile, options.overlap, options.batch
                )
        else:
            padded, (h, w) = pad_for_model(np.stack([item.tensor for item in items]), multiple)
            try:
                result = infer(padded)
            except Exception as err:
                raise I2IError(f"inference failed: {one_line(err)}") from None
            for item, out in zip(items, result, strict=True):
                item.output = crop_to(out, h, w)
        for item in items:
            _put(inferred, item, abort)

    try:
        if on_start is not None:
            on_start(info)
        audio = tuple(container.streams.audio)
        with VideoWriter(target, info, video.codec, audio) as writer:
            reader = _Stage("i2i-video-decode", decode, abort)
            encoder = _Stage("i2i-video-encode", lambda: encode(writer), abort)
            reader.start()
            encoder.start()
            try:
                pending: list[_Item] = []
                while True:
                    if stop is not None and stop.interrupted:
                        raise ClipInterrupted
                    thing = _get(decoded, abort)
                    if thing is _END:
                        break
                    if not isinstance(thing, _Item):
                        _put(inferred, thing, abort)
                        continue
                    pending.append(thing)
                    if len(pending) >= batch:
                        run_batch(pending)
                        pending = []
                if pending:
                    run_batch(pending)
                _put(inferred, _END, abort)
                encoder.join()
            except ClipInterrupted:
                pass  # a stage failed (its error is raised below) or Ctrl-C
            finally:
                abort.set() if encoder.is_alive() else None
                encoder.join()
                abort.set()
                reader.join()
            # A stage that failed set `abort`, so the other usually stopped with ClipInterrupted: raise
            # the failure itself (the encoder's first), never that echo of it.
            for stage in (encoder, reader):
                if stage.error is not None and not isinstance(stage.error, ClipInterrupted):
                    raise stage.error
            if stop is not None and stop.interrupted:
                raise ClipInterrupted
            return writer.frames
    finally:
        container.close()


def translate_videos(
    infer: Infer,
    jobs: Sequence[Job],
    *,
    multiple: int,
    in_channels: int = 3,
    options: TranslateOptions | None = None,
    video: VideoOptions | None = None,
    on_result: ResultCallback | None = None,
    on_start: Callable[[Job, VideoInfo], None] | None = None,
    on_frames: Callable[[int], None] | None = None,
    stop: StopControl | None = None,
) -> VideoSummary:
    """Translate each clip of ``jobs`` in turn; never raises for a bad clip (it becomes a failure).

    Existing targets are skipped unless ``options.overwrite``. ``on_result(job, status, reason)`` once
    per clip; ``on_start(job, info)`` and ``on_frames(n)`` for progress. Ctrl-C abandons the clip in
    progress (no file) and sets ``interrupted``.
    """
    options = options or TranslateOptions()
    summary = VideoSummary()
    start = time.perf_counter()

    def report(job: Job, status: str, reason: str = "") -> None:
        summary.count(status, lambda: Problem(job.source, reason))
        if on_result is not None:
            on_result(job, status, reason)

    for job in jobs:
        if stop is not None and stop.interrupted:
            summary.interrupted = True
            break
        if job.target.exists() and not options.overwrite:
            report(job, "skipped", "output exists")
            continue
        started = None if on_start is None else (lambda info, job=job: on_start(job, info))
        try:
            frames = translate_video(
                infer,
                job.source,
                job.target,
                multiple=multiple,
                in_channels=in_channels,
                options=options,
                video=video,
                on_start=started,
                on_frames=on_frames,
                stop=stop,
            )
        except ClipInterrupted:
            summary.interrupted = True
            break
        except I2IError as err:
            report(job, "failed", strip_prefix(strip_prefix(str(err), str(job.source)), str(job.target)))
        except Exception as err:  # a decoder or encoder error PyAV raised past the checks
            report(job, "failed", f"{type(err).__name__}: {one_line(err)}")
        else:
            summary.frames += frames
            report(job, "done")
    summary.seconds = time.perf_counter() - start
    return summary
