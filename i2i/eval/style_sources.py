"""Where the images ``i2i eval style`` scores come from: a fast-style model run on the photos in memory, or
finished image files matched to the photos (:mod:`i2i.eval.output_pairs`). Images are (3, H, W) float32
in [0, 1]."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from i2i import tasks
from i2i.errors import I2IError
from i2i.tasks.registry import EVAL_STYLE

#: One image to score: (photo name, output file or None for a model's output in memory, photo, output),
#: the images (3, H, W) float32 in [0, 1] of the same size.
StylePair = tuple[str, str | None, np.ndarray, np.ndarray]


def read_photo(path: Path, size: int) -> np.ndarray:
    """(3, H, W) float32 in [0, 1]: the photo with its long side resized to ``size``.

    Raises:
        I2IError: unreadable, or a side shorter than AlexNet's minimum after resizing.
    """
    from i2i.features.alexnet import MIN_SIDE
    from i2i.imageio import read_image, resize_long_side, to_float_chw

    photo = to_float_chw(resize_long_side(read_image(path), size))
    if min(photo.shape[1:]) < MIN_SIDE:
        raise I2IError(
            f"{path}: {photo.shape[2]}x{photo.shape[1]} px at --size {size}; the AlexNet check needs at "
            f"least {MIN_SIDE} px a side (raise --size)"
        )
    return photo


def fast_style_session(model: str, device: str, threads: int | None):  # -> TranslatorSession
    """The model through onnxruntime; I2IError unless it is a fast-style model."""
    from i2i.runtime.resolve import resolve_model
    from i2i.sessions.onnxruntime_session import TranslatorSession

    session = TranslatorSession(resolve_model(model), device=device, threads=threads)
    spec = tasks.find(session.info.task)
    if spec is None or spec.eval != EVAL_STYLE:
        raise I2IError(
            f"{session.path}: a {session.info.task} model; `i2i eval style` scores fast-style models"
        )
    return session


def photo_paths(folder: Path, limit: int | None) -> list[Path]:
    from i2i.imageio import list_images

    if not folder.is_dir():
        raise I2IError(f"{folder}: no such folder")
    paths, _ = list_images(folder)
    paths = paths[:limit] if limit else paths
    if not paths:
        raise I2IError(f"{folder}: no images found")
    return paths


def photo_name(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def model_pairs(session, folder: Path, paths: Sequence[Path], size: int) -> Iterator[StylePair]:
    """Each photo and the model's output for it, stylised in memory (float, not rounded to 8 bits)."""
    from i2i.runtime.tiling import translate_whole

    for path in paths:
        photo = read_photo(path, size)
        yield (
            photo_name(folder, path),
            None,
            photo,
            translate_whole(session, photo, session.info.size_multiple),
        )


def photo_sizes(paths: Sequence[Path], size: int) -> list[tuple[int, int]]:
    """(H, W) of each photo at ``size``, what its finished image must measure (read once for every check)."""
    return [tuple(read_photo(path, size).shape[1:]) for path in paths]


def check_sizes(
    paths: Sequence[Path], sizes: Sequence[tuple[int, int]], files: Sequence[Path], size: int
) -> None:
    """Before any network is loaded: every file as large as its photo at ``size`` (``sizes``, from
    :func:`photo_sizes`); I2IError naming the first that is not."""
    from i2i.imageio import read_image

    for path, want, file in zip(paths, sizes, files, strict=True):
        got = read_image(file).size[::-1]
        if tuple(got) != tuple(want):
            raise I2IError(
                f"{file}: {got[1]}x{got[0]} px, but its photo {path} is {want[1]}x{want[0]} px at "
                f"--size {size} (stylise the photos at that size, or give the --size they were stylised at)"
            )


def read_output(file: Path) -> np.ndarray:
    """A finished image as it is: (3, H, W) float32 in [0, 1]."""
    from i2i.imageio import read_image, to_float_chw

    return to_float_chw(read_image(file))


def folder_pairs(
    folder: Path, paths: Sequence[Path], files: Sequence[Path], size: int
) -> Iterator[StylePair]:
    """Each photo and its finished image, read as it is."""
    for path, file in zip(paths, files, strict=True):
        yield photo_name(folder, path), str(file), read_photo(path, size), read_output(file)
