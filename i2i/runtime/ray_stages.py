"""The three stages of a Ray translate run, as functions over column batches (torch-free, ray-free).

Ray Data calls them on its workers with ``batch_format="numpy"`` batches (a dict of equal-length columns);
they import neither ray nor torch, so they also run (and are tested) without a cluster:

1. :func:`read_stage` (CPU tasks): read each file (a local path, or a path on a pyarrow filesystem such as
   S3 or GCS), decode it exactly as :func:`~i2i.imageio.read_image` does, apply ``--resize``, and pass the
   pixels on as uint8 RGB bytes (a quarter of the float32 volume through the object store).
2. :class:`InferStage` (an actor pool, one model session per actor, CPU or GPU): group the batch's images
   by padded size, run up to ``batch`` of one size per model call (or tile large images), and pass the
   results on as uint8 bytes (``from_float_chw`` of the [0, 1] output).
3. :func:`write_stage` (CPU tasks): encode each result in its target's format and write it: atomically to
   local files (:func:`~i2i.imageio.write_image_atomic`), as one object put on other filesystems.

Every stage turns a per-file problem into that row's ``error`` (and the last stage into a ``failed``
status with the reason) so one bad file never stops the run. The arithmetic is the single-machine
pipeline's own (:func:`~i2i.runtime.pipeline.model_input`, :func:`~i2i.imageio.pad_to_multiple`,
:func:`~i2i.runtime.tiling.translate_tiled`), so the same input gives the same output bytes.

Row columns: ``source`` / ``target`` (names for reports: local paths or URIs), ``source_fs`` (index into
the run's filesystems; -1 = local), ``source_path`` / ``target_path`` (paths on those filesystems),
then ``pixels`` (bytes), ``height``, ``width``, ``channels``, ``error`` (``""`` when fine), ``provider``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from i2i.batch import strip_prefix
from i2i.errors import I2IError
from i2i.files import atomic_write_bytes
from i2i.imageio import (
    crop_to,
    decode_image,
    encode_image,
    from_float_chw,
    pad_to_multiple,
    read_image,
    resize_long_side,
    write_image_atomic,
)
from i2i.runtime.pipeline import TranslateOptions, model_input
from i2i.runtime.tiling import translate_tiled

Batch = dict[str, np.ndarray]

#: Columns a job row starts with (built by the driver).
JOB_COLUMNS = ("source", "target", "source_fs", "source_path", "target_path")


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object column (bytes and str stay Python objects; never a 2-D array of characters)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _one_line(err: BaseException) -> str:
    return " ".join((str(err) or type(err).__name__).split())[:300]


def _read_one(
    name: str, fs_index: int, path: str, filesystems: Sequence[Any], resize: int | None
) -> Image.Image:
    if fs_index < 0:
        image = read_image(path)
    else:
        try:
            with filesystems[fs_index].open_input_stream(path) as stream:
                data = stream.read()
        except Exception as err:  # pyarrow raises OSError/FileNotFoundError/ArrowException subclasses
            raise I2IError(f"{name}: cannot read ({_one_line(err)})") from None
        image = decode_image(data, name)
    return image if resize is None else resize_long_side(image, resize)


def read_stage(batch: Batch, *, filesystems: Sequence[Any], resize: int | None) -> Batch:
    """Job rows -> rows with decoded uint8 RGB ``pixels`` (H*W*3 bytes), ``height``, ``width``, ``error``.

    ``filesystems``: pyarrow filesystems by ``source_fs`` index. ``resize``: long side in pixels (None:
    keep the size), the same Lanczos scaling as the single-machine pipeline.
    """
    n = len(batch["source"])
    pixels: list[bytes] = [b""] * n
    heights = np.zeros(n, dtype=np.int64)
    widths = np.zeros(n, dtype=np.int64)
    errors = [""] * n
    for i in range(n):
        name, path = str(batch["source"][i]), str(batch["source_path"][i])
        try:
            image = _read_one(name, int(batch["source_fs"][i]), path, filesystems, resize)
            rgb = np.asarray(image, dtype=np.uint8)
            pixels[i], heights[i], widths[i] = rgb.tobytes(), rgb.shape[0], rgb.shape[1]
        except I2IError as err:
            errors[i] = strip_prefix(strip_prefix(str(err), path), name)
        except Exception as err:  # a decoder bug must not stop the batch
            errors[i] = f"{type(err).__name__}: {err}"
    out = {key: batch[key] for key in JOB_COLUMNS}
    out.update(pixels=_objects(pixels), height=heights, width=widths, error=_objects(errors))
    return out


def cached_model(data: bytes, file_name: str) -> Path:
    """The model ``data`` as a local file (an actor's copy of the driver's model), shared by the actors of
    one machine: ``<tmp>/i2i-ray-models/<sha256[:16]>/<file_name>``, written atomically."""
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(tempfile.gettempdir()) / "i2i-ray-models" / digest[:16]
    path = folder / Path(file_name).name
    if path.is_file() and path.stat().st_size == len(data):
        return path
    atomic_write_bytes(path, data)
    return path


class InferStage:
    """One model session per actor; turns decoded rows into translated rows.

    ``model``: the ONNX file's bytes, or ``[ObjectRef]`` to them (the driver ships the model, so workers need
    no copy of it).
    ``session_factory(path)`` makes the session, the same factory as the single-machine path (device,
    threads and any runtime/precision choice travel inside it); it must be picklable.
    """

    def __init__(
        self,
        model: bytes | list[Any],
        model_name: str,
        session_factory: Any,
        multiple: int,
        in_channels: int,
        options: TranslateOptions,
    ) -> None:
        if isinstance(model, list):  # a reference into Ray's object store
            import ray

            model = ray.get(model[0])
        self.session = session_factory(cached_model(model, model_name))
        self.multiple, self.in_channels, self.options = multiple, in_channels, options
        self.provider = str(getattr(self.session, "provider", "?"))

    def _outputs(self, arrays: dict[int, np.ndarray]) -> tuple[dict[int, np.ndarray], dict[int, str]]:
        """Float32 (C, H, W) inputs by row -> float32 outputs by row, and failures by row."""
        results: dict[int, np.ndarray] = {}
        failures: dict[int, str] = {}
        opts = self.options
        if opts.tile:
            for i, arr in arrays.items():
                try:
                    results[i] = translate_tiled(
                        self.session, arr, self.multiple, opts.tile, opts.overlap, opts.batch
                    )
                except Exception as err:
                    failures[i] = f"inference failed: {_one_line(err)}"
            return results, failures
        groups: dict[tuple[int, ...], list[tuple[int, np.ndarray, tuple[int, int]]]] = {}
        for i, arr in arrays.items():
            try:
                padded, size = pad_to_multiple(arr, self.multiple)
            except Exception as err:
                failures[i] = f"inference failed: {_one_line(err)}"
                continue
            groups.setdefault(padded.shape, []).append((i, padded, size))
        step = max(1, opts.batch)
        for items in groups.values():
            for start in range(0, len(items), step):
                chunk = items[start : start + step]
                try:
                    out = self.session(np.stack([padded for _, padded, _ in chunk]))
                except Exception as err:  # e.g. out of memory for one very large image
                    for i, _, _ in chunk:
                        failures[i] = f"inference failed: {_one_line(err)}"
                    continue
                for (i, _, (h, w)), o in zip(chunk, out, strict=True):
                    results[i] = crop_to(o, h, w)
        return results, failures

    def __call__(self, batch: Batch) -> Batch:
        """Decoded rows -> rows whose ``pixels`` hold the uint8 result (H*W*channels bytes)."""
        n = len(batch["source"])
        errors = [str(e) for e in batch["error"]]
        arrays: dict[int, np.ndarray] = {}
        for i in range(n):
            if errors[i]:
                continue
            h, w = int(batch["height"][i]), int(batch["width"][i])
            rgb = np.frombuffer(batch["pixels"][i], dtype=np.uint8).reshape(h, w, 3)
            try:
                arrays[i] = model_input(Image.fromarray(rgb, mode="RGB"), self.in_channels)
            except I2IError as err:
                errors[i] = str(err)
        results, failures = self._outputs(arrays)
        pixels: list[bytes] = [b""] * n
        heights = np.zeros(n, dtype=np.int64)
        widths = np.zeros(n, dtype=np.int64)
        channels = np.zeros(n, dtype=np.int64)
        for i, reason in failures.items():
            errors[i] = reason
        for i, result in results.items():
            u8 = np.asarray(from_float_chw(result))
            pixels[i], heights[i], widths[i] = u8.tobytes(), u8.shape[0], u8.shape[1]
            channels[i] = u8.shape[2] if u8.ndim == 3 else 1
        out = {key: batch[key] for key in JOB_COLUMNS}
        out.update(
            pixels=_objects(pixels),
            height=heights,
            width=widths,
            channels=channels,
            error=_objects(errors),
            provider=_objects([self.provider] * n),
        )
        return out


def _write_one(image: Image.Image, name: str, path: str, out_fs: Any, quality: int, overwrite: bool) -> None:
    if out_fs is None:
        write_image_atomic(image, path, quality=quality, overwrite=overwrite)
        return
    import pyarrow.fs as pafs

    data = encode_image(image, path, quality=quality)
    if not overwrite and out_fs.get_file_info(path).type != pafs.FileType.NotFound:
        raise I2IError(f"{name}: already exists (pass overwrite=True / --overwrite to replace it)")
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if parent:
        out_fs.create_dir(parent, recursive=True)
    with out_fs.open_output_stream(path) as stream:  # one object put: never half-visible on object stores
        stream.write(data)


def write_stage(batch: Batch, *, out_fs: Any, quality: int, overwrite: bool) -> Batch:
    """Translated rows -> report rows ``source``, ``target``, ``status`` (done | failed), ``reason``,
    ``provider``. ``out_fs``: the output's pyarrow filesystem, None for local files (atomic writes)."""
    n = len(batch["source"])
    status = ["done"] * n
    reasons = [str(e) for e in batch["error"]]
    for i in range(n):
        if reasons[i]:
            status[i] = "failed"
            continue
        name, path = str(batch["target"][i]), str(batch["target_path"][i])
        h, w, c = int(batch["height"][i]), int(batch["width"][i]), int(batch["channels"][i])
        shape = (h, w) if c == 1 else (h, w, c)
        image = Image.fromarray(np.frombuffer(batch["pixels"][i], dtype=np.uint8).reshape(shape))
        try:
            _write_one(image, name, path, out_fs, quality, overwrite)
        except I2IError as err:
            status[i], reasons[i] = "failed", strip_prefix(strip_prefix(str(err), path), name)
        except Exception as err:  # disk full, permissions, encoder errors
            status[i], reasons[i] = "failed", f"cannot write {name}: {type(err).__name__}: {err}"
    return {
        "source": batch["source"],
        "target": batch["target"],
        "status": _objects(status),
        "reason": _objects(reasons),
        "provider": batch["provider"],
    }
