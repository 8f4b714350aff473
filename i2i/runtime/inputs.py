"""What to translate and where each result goes (torch-free).

Inputs are image files, folders (searched recursively, optionally filtered by a glob), or ``-`` for a
list of paths on stdin, one per line. Each source keeps a relative path: its path below the folder it was
found in, its own name for a file given directly, or the path as listed on stdin when that is relative
and stays below the current folder. Results go to ``out_dir / relative path`` with the suffix of the
chosen output format.

Only regular files are taken (symlinks to them included): a FIFO, socket or device named like an image, a
broken symlink or a symlink loop becomes a :class:`Problem` with a one-line reason and is never opened, so a
run cannot hang on it and reports it at the end.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from i2i.errors import I2IError
from i2i.files import regular_file_problem
from i2i.imageio import is_image_path

#: Output formats by option value -> file suffix; ``same`` keeps each input's suffix.
FORMATS = {"same": None, "png": ".png", "jpg": ".jpg", "webp": ".webp"}

#: Video clips (:mod:`i2i.video`); their results keep their container whatever the output format.
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")


def is_video_path(path: str | os.PathLike[str]) -> bool:
    """True when the file name ends in one of :data:`VIDEO_SUFFIXES` (any case)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class Source:
    """An input image and the relative path its result keeps."""

    path: Path
    relative: PurePath


@dataclass(frozen=True)
class Job:
    """Translate ``source`` into ``target``."""

    source: Path
    target: Path


@dataclass(frozen=True)
class Problem:
    """A path that could not be used, and why (one line)."""

    path: Path
    reason: str


def _match_parts(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match_parts(parts[1:], pattern[1:])


def matches_glob(relative: PurePath, pattern: str) -> bool:
    """``*.jpg`` matches names at any depth; a pattern with ``/`` matches the whole relative path segment by
    segment (``*`` stays within one folder, ``**`` spans any number)."""
    if "/" not in pattern:
        return fnmatch.fnmatchcase(relative.name, pattern)
    return _match_parts(relative.parts, pattern.strip("/").split("/"))


def _stdin_relative(path: Path) -> PurePath:
    if not path.is_absolute() and ".." not in path.parts:
        return PurePath(path)
    return PurePath(path.name)


def scan_folder(
    folder: Path,
    recursive: bool = True,
    exclude: Path | None = None,
    ignored: list[Path] | None = None,
    videos: bool = False,
) -> tuple[list[Path], list[Problem]]:
    """Image files under ``folder`` (sorted; video clips too when ``videos``) and, as problems, the folders
    that could not be read and the image-named entries that are not regular files (FIFOs, sockets, devices,
    broken symlinks, symlink loops).

    Hidden folders (``.name``) are not entered, and neither is ``exclude`` (the output folder, when it
    lies inside an input folder, so a rerun does not take its own results as inputs). Files without an
    image suffix (hidden ones aside) are appended to ``ignored`` when it is given, for the run's report.
    """
    skip = exclude.resolve() if exclude is not None else None
    images: list[Path] = []
    problems: list[Problem] = []

    def unreadable(err: OSError) -> None:
        where = Path(err.filename) if err.filename else folder
        problems.append(Problem(where, f"cannot read folder ({err.strerror or type(err).__name__})"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)
        )
        for name in filenames:
            if is_image_path(name) or (videos and is_video_path(name)):
                reason = regular_file_problem(here / name)
                if reason is None:
                    images.append(here / name)
                else:
                    problems.append(Problem(here / name, reason))
            elif ignored is not None and not name.startswith("."):
                ignored.append(here / name)
        if not recursive:
            break
    images.sort(key=lambda p: p.as_posix())
    problems.sort(key=lambda problem: problem.path.as_posix())
    return images, problems


def collect_sources(
    inputs: Sequence[str],
    glob: str | None = None,
    recursive: bool = True,
    stdin_lines: Iterable[str] | None = None,
    exclude: Path | None = None,
    ignored: list[Path] | None = None,
    videos: bool = False,
) -> tuple[list[Source], list[Problem]]:
    """Expand ``inputs`` into sources (in the given order; folders sorted) and problems (missing paths,
    folders that cannot be read, entries that are not regular files). ``ignored``, when given, collects the
    non-image files found in folders.

    ``glob`` filters images found in folders: a pattern without ``/`` matches file names (``*.jpg``), one
    with ``/`` matches the path below the folder (``day/*.png``). Files named directly are always taken.
    ``stdin_lines`` supplies the list for ``-``. ``exclude``: a folder never scanned (the output folder).
    ``videos``: folders yield video clips (:data:`VIDEO_SUFFIXES`) as well as images.
    """
    sources: list[Source] = []
    problems: list[Problem] = []
    for item in inputs:
        if item == "-":
            if stdin_lines is None:
                raise I2IError("'-' given but no list of paths on stdin")
            for line in stdin_lines:
                text = line.strip()
                if text:
                    path = Path(text)
                    reason = regular_file_problem(path)
                    if reason is None:
                        sources.append(Source(path, _stdin_relative(path)))
                    else:
                        problems.append(Problem(path, reason))
            continue
        path = Path(item)
        if not os.path.lexists(path):
            problems.append(Problem(path, "no such file or folder"))
        elif path.is_dir():
            found, unreadable = scan_folder(
                path, recursive=recursive, exclude=exclude, ignored=ignored, videos=videos
            )
            problems += unreadable
            for image in found:
                relative = PurePath(image.relative_to(path))
                if glob is None or matches_glob(relative, glob):
                    sources.append(Source(image, relative))
        elif (reason := regular_file_problem(path)) is None:
            sources.append(Source(path, PurePath(path.name)))
        else:
            problems.append(Problem(path, reason))
    return sources, problems


def _resolved(path: Path) -> Path | None:
    """``path`` resolved, or None when resolving fails (a symlink loop on the way)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: Python < 3.13 reports a symlink loop so
        return None


def format_suffix(fmt: str) -> str | None:
    """The file suffix of output format ``fmt`` (None: keep each input's). I2IError for an unknown one."""
    if fmt not in FORMATS:
        raise I2IError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt]


def overwrite_error(target: object) -> I2IError:
    """The error for a planned output that is one of the inputs (nothing is planned then)."""
    return I2IError(f"{target}: output would overwrite an input; choose another output folder or format")


def duplicate_reason(target: object, first: object) -> str:
    """Why a second input mapping to ``target`` (already the result of ``first``) is not translated."""
    return f"output {target} is already the result of {first}"


def plan_jobs(sources: Sequence[Source], out_dir: Path, fmt: str = "same") -> tuple[list[Job], list[Problem]]:
    """One job per source: ``out_dir / relative`` with the format's suffix (video clips keep theirs).

    Two sources mapping to one target: the later one is a problem (nothing is silently overwritten).

    Raises:
        I2IError: unknown format, ``out_dir`` is a file, or a target is one of the inputs.
    """
    suffix = format_suffix(fmt)
    if out_dir.exists() and not out_dir.is_dir():
        raise I2IError(f"{out_dir}: output folder is an existing file")
    inputs = {s.path.resolve() for s in sources}  # regular files (collect_sources): no loop to resolve
    jobs: list[Job] = []
    problems: list[Problem] = []
    seen: dict[Path, Path] = {}
    for source in sources:
        keep = not suffix or is_video_path(source.relative)
        relative = source.relative if keep else source.relative.with_suffix(suffix)
        target = out_dir / relative
        key = _resolved(target)
        if key is None:
            problems.append(Problem(source.path, f"output {target} is a symlink loop"))
            continue
        if key in inputs:
            raise overwrite_error(target)
        if key in seen:
            problems.append(Problem(source.path, duplicate_reason(target, seen[key])))
            continue
        seen[key] = source.path
        jobs.append(Job(source.path, target))
    return jobs, problems
