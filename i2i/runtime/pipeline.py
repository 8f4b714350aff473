"""The translate pipeline: decode, infer and encode overlap on threads (torch-free).

Decoding (Pillow) and encoding + atomic writes run on two small thread pools while the calling thread
feeds the model; onnxruntime releases the GIL while it computes, so the three stages overlap. Images of
the same padded size are grouped into batches of up to ``batch``. A file that cannot be read, inferred or
written is reported as a failure with its reason and the rest carry on; existing outputs are skipped
unless ``overwrite``. Temporary files that a killed earlier run left in the output folders are removed
first.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from i2i.batch import Tally, one_line, strip_prefix
from i2i.errors import I2IError
from i2i.imageio import (
    crop_to,
    from_float_chw,
    read_image,
    remove_orphaned_temps,
    to_float_chw,
    write_image_atomic,
)
from i2i.progress import StopControl
from i2i.runtime.inputs import Job, Problem
from i2i.runtime.tiling import Infer, pad_for_model, translate_tiled
from i2i.runtime.translate_options import TranslateOptions

__all__ = ["Summary", "TranslateOptions", "check_direction", "model_input", "translate_jobs"]

#: ``on_result(job, status, reason)`` with status ``done`` | ``skipped`` | ``failed``.
ResultCallback = Callable[[Job, str, str], None]

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class Summary(Tally[Problem]):
    """What a run did; ``failures`` lists each failed input with its reason; ``interrupted``: Ctrl-C
    stopped it before every job was tried."""

    interrupted: bool = False


def check_direction(path: Path, info: Any, direction: str | None) -> None:
    """Raise I2IError when ``direction`` (AtoB | BtoA, None: any) is not the one the model at ``path``
    translates (``info.direction``; None for models without one)."""
    if direction and info.direction and direction != info.direction:
        raise I2IError(f"{path}: translates {info.direction}, not {direction}")


def model_input(image: Image.Image, in_channels: int, resize: int | None = None) -> np.ndarray:
    """A decoded RGB image -> float32 (in_channels, H, W) in [0, 1] (luma for 1-channel models).

    ``resize``: scale (Lanczos) so the long side is ``resize`` pixels, aspect kept.
    """
    if resize is not None and max(image.size) != resize:
        scale = resize / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    arr = to_float_chw(image)
    if in_channels == 1:
        arr = np.tensordot(_LUMA, arr, axes=1)[None].astype(np.float32)
    elif in_channels != 3:
        raise I2IError(f"models with {in_channels} input channels cannot take images")
    return arr


@dataclass
class _Decoded:
    job: Job
    padded: np.ndarray | None = None  # (C, Hp, Wp) float32 [0, 1]
    size: tuple[int, int] = (0, 0)
    image: np.ndarray | None = None  # unpadded (tiling only)
    error: str | None = None


class _Run:
    """State of one call to :func:`translate_jobs`."""

    def __init__(
        self, infer: Infer, multiple: int, in_channels: int, options: TranslateOptions, on_result
    ) -> None:
        self.infer, self.multiple, self.in_channels = infer, multiple, in_channels
        self.options, self.on_result = options, on_result
        self.summary = Summary()
        self.lock = threading.Lock()
        self.writes: deque[Future[None]] = deque()

    def report(self, job: Job, status: str, reason: str = "") -> None:
        with self.lock:
            self.summary.count(status, lambda: Problem(job.source, reason))
            if self.on_result is not None:
                self.on_result(job, status, reason)

    def decode(self, job: Job) -> _Decoded:
        """Read and prepare one image; every failure (padding included) becomes this image's error."""
        try:
            arr = model_input(read_image(job.source), self.in_channels, self.options.resize)
            if self.options.tile:
                return _Decoded(job, image=arr, size=arr.shape[-2:])
            padded, size = pad_for_model(arr, self.multiple)
            return _Decoded(job, padded=padded, size=size)
        except I2IError as err:
            return _Decoded(job, error=strip_prefix(str(err), job.source))
        except Exception as err:  # a decoder bug or an impossible size must not stop the batch
            return _Decoded(job, error=f"{type(err).__name__}: {one_line(err)}")

    def write(self, job: Job, out: np.ndarray) -> None:
        try:
            write_image_atomic(
                from_float_chw(out),
                job.target,
                quality=self.options.quality,
                overwrite=self.options.overwrite,
            )
        except I2IError as err:
            self.report(job, "failed", strip_prefix(str(err), job.target))
        except Exception as err:  # disk full, permissions, encoder errors
            self.report(job, "failed", f"cannot write {job.target}: {type(err).__name__}: {err}")
        else:
            self.report(job, "done")

    def run_batch(self, items: list[_Decoded], writer: ThreadPoolExecutor) -> None:
        try:
            if self.options.tile:
                (item,) = items
                assert item.image is not None
                outs = [
                    translate_tiled(
                        self.infer,
                        item.image,
                        self.multiple,
                        self.options.tile,
                        self.options.overlap,
                        self.options.batch,
                    )
                ]
            else:
                result = self.infer(np.stack([item.padded for item in items]))
                outs = [crop_to(o, *item.size) for o, item in zip(result, items, strict=True)]
        except Exception as err:  # e.g. out of memory for one very large image
            reason = f"inference failed: {one_line(err)}"
            for item in items:
                self.report(item.job, "failed", reason)
            return
        for item, out in zip(items, outs, strict=True):
            self.writes.append(writer.submit(self.write, item.job, out))
        while len(self.writes) > 4 * max(self.options.workers, self.options.batch):
            self.writes.popleft().result()


def translate_jobs(
    infer: Infer,
    jobs: Sequence[Job],
    *,
    multiple: int,
    in_channels: int = 3,
    options: TranslateOptions | None = None,
    on_result: ResultCallback | None = None,
    stop: StopControl | None = None,
) -> Summary:
    """Translate every job; never raises for a bad image (it becomes a failure in the summary).

    ``infer``: float32 (N, in_channels, h, w) in [0, 1], h and w multiples of ``multiple`` -> (N, C, h, w)
    in [0, 1]. ``on_result`` is called once per job (from worker threads, serialised by a lock).
    ``stop``: after a Ctrl-C no further image is read; those already read are translated and written,
    the jobs never started are left out of the summary and ``interrupted`` is set.
    """
    options = options or TranslateOptions()
    run = _Run(infer, multiple, in_channels, options, on_result)
    start = time.perf_counter()
    for folder in {job.target.parent for job in jobs}:  # a killed earlier run's half-written files
        remove_orphaned_temps(folder)
    todo: list[Job] = []
    for job in jobs:
        if job.target.exists() and not options.overwrite:
            run.report(job, "skipped", "output exists")
        else:
            todo.append(job)
    batch = 1 if options.tile else max(1, options.batch)
    window = max(2 * options.workers, 2 * batch)
    with (
        ThreadPoolExecutor(max(1, options.workers), thread_name_prefix="i2i-decode") as reader,
        ThreadPoolExecutor(max(1, options.workers), thread_name_prefix="i2i-encode") as writer,
    ):
        pending: deque[Future[_Decoded]] = deque()
        queue = iter(todo)
        for job in queue:
            pending.append(reader.submit(run.decode, job))
            if len(pending) >= window:
                break
        stopping = stop is not None and stop.interrupted
        buckets: dict[tuple[int, ...], list[_Decoded]] = {}
        waiting = 0
        while pending:
            item = pending.popleft().result()
            stopping = stop is not None and stop.interrupted
            nxt = None if stopping else next(queue, None)
            if nxt is not None:
                pending.append(reader.submit(run.decode, nxt))
            if item.error is not None:
                run.report(item.job, "failed", item.error)
                continue
            key = item.image.shape if item.image is not None else item.padded.shape
            bucket = buckets.setdefault(key, [])
            bucket.append(item)
            waiting += 1
            if len(bucket) >= batch:
                run.run_batch(buckets.pop(key), writer)
                waiting -= len(bucket)
            elif waiting > 2 * batch:  # many sizes: flush the fullest group to bound memory
                key = max(buckets, key=lambda k: len(buckets[k]))
                group = buckets.pop(key)
                run.run_batch(group, writer)
                waiting -= len(group)
        for group in buckets.values():
            run.run_batch(group, writer)
        for future in run.writes:
            future.result()
    run.summary.seconds = time.perf_counter() - start
    run.summary.interrupted = stopping and bool(next(queue, None))
    return run.summary
