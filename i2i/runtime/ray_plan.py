"""Planning a Ray translate run on the driver (torch-free, ray-free; pyarrow is imported for URIs).

One job per input image, named by the single-machine rules (:mod:`i2i.runtime.inputs`): relative names,
``--glob``, hidden folders not entered, the output format's suffix, collisions reported and an output
that would overwrite an input refused. Inputs and the output are local paths or URIs of any filesystem
pyarrow opens (``s3://bucket/photos``, ``gs://...``, ``hdfs://...``, ``file:///...``); the jobs are
handed to Ray Data as columnar pyarrow tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from i2i.errors import I2IError
from i2i.imageio import is_image_path
from i2i.runtime.inputs import (
    collect_sources,
    duplicate_reason,
    format_suffix,
    matches_glob,
    overwrite_error,
    plan_jobs,
)

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_uri(text: str) -> bool:
    """True for ``scheme://...`` (object stores, ``file://``); False for local paths."""
    return _URI.match(text) is not None


@dataclass(frozen=True)
class RayJob:
    """One image: names for reports, and where the stages read and write it (``source_fs`` indexes the
    plan's filesystems; -1 = a local path; ``target_path`` is on the plan's ``out_fs``)."""

    source: str
    target: str
    source_fs: int
    source_path: str
    target_path: str


@dataclass(frozen=True)
class Failure:
    """An input that was not translated, and why (one line)."""

    source: str
    reason: str


@dataclass
class RayPlan:
    """The jobs of a run, the problems found while planning, and the filesystems the jobs refer to
    (pyarrow filesystems; ``out_fs`` is None for a local output folder)."""

    jobs: list[RayJob]
    problems: list[Failure]
    filesystems: list[Any] = field(default_factory=list)
    out_fs: Any = None
    out_base: str = ""


@dataclass(frozen=True)
class _Source:
    name: str
    fs: int
    path: str
    relative: PurePosixPath


def _list_uri(
    uri: str, fs: Any, base: str, fs_index: int, glob: str | None, recursive: bool
) -> list[_Source]:
    """Images under ``uri`` (``base`` on ``fs``) with the local folder rules: image suffixes, hidden
    folders not entered, ``glob`` on the relative path, sorted."""
    import pyarrow.fs as pafs

    info = fs.get_file_info(base)
    if info.type == pafs.FileType.File:
        return [_Source(uri, fs_index, base, PurePosixPath(PurePosixPath(base).name))]
    if info.type != pafs.FileType.Directory:
        raise FileNotFoundError(uri)
    base = base.rstrip("/")
    found: list[_Source] = []
    for item in fs.get_file_info(pafs.FileSelector(base, recursive=recursive)):
        if item.type != pafs.FileType.File or not is_image_path(item.path):
            continue
        relative = PurePosixPath(item.path[len(base) + 1 :])
        if any(part.startswith(".") for part in relative.parts[:-1]):
            continue
        if glob is None or matches_glob(relative, glob):
            found.append(_Source(f"{uri.rstrip('/')}/{relative.as_posix()}", fs_index, item.path, relative))
    return sorted(found, key=lambda s: s.relative.as_posix())


def _plan_local(
    inputs: Sequence[str], out: str, fmt: str, glob: str | None, recursive: bool, stdin_lines
) -> RayPlan:
    """Local inputs and output: the single-machine planner itself, with absolute paths for the workers."""
    sources, problems = collect_sources(inputs, glob=glob, recursive=recursive, stdin_lines=stdin_lines)
    jobs, collisions = plan_jobs(sources, Path(out), fmt)
    return RayPlan(
        jobs=[
            RayJob(str(j.source), str(j.target), -1, str(j.source.absolute()), str(j.target.absolute()))
            for j in jobs
        ],
        problems=[Failure(str(p.path), p.reason) for p in [*problems, *collisions]],
    )


def plan_ray_jobs(
    inputs: Sequence[str],
    out: str,
    fmt: str = "same",
    glob: str | None = None,
    recursive: bool = True,
    stdin_lines: Iterable[str] | None = None,
) -> RayPlan:
    """One job per input image, named as ``i2i translate`` names it: ``out / relative path`` with the
    format's suffix. ``inputs`` and ``out`` are local paths or URIs (``-`` reads local paths from
    ``stdin_lines``).

    Raises:
        I2IError: unknown format, output is a file, a target is one of the inputs, or a URI that pyarrow
            cannot open.
    """
    if not any(is_uri(item) for item in [*inputs, out]):
        return _plan_local(inputs, out, fmt, glob, recursive, stdin_lines)
    import pyarrow.fs as pafs

    suffix = format_suffix(fmt)
    sources: list[_Source] = []
    problems: list[Failure] = []
    filesystems: list[Any] = []
    for item in inputs:
        if not is_uri(item):
            local, missing = collect_sources([item], glob=glob, recursive=recursive, stdin_lines=stdin_lines)
            sources += [
                _Source(str(s.path), -1, str(s.path.absolute()), PurePosixPath(s.relative)) for s in local
            ]
            problems += [Failure(str(p.path), p.reason) for p in missing]
            continue
        try:
            fs, base = pafs.FileSystem.from_uri(item)
            filesystems.append(fs)
            sources += _list_uri(item, fs, base, len(filesystems) - 1, glob, recursive)
        except FileNotFoundError:
            problems.append(Failure(item, "no such file or folder"))
        except Exception as err:
            raise I2IError(f"{item}: cannot open ({' '.join(str(err).split())[:200]})") from None
    out_fs, out_base = None, ""
    if is_uri(out):
        try:
            out_fs, out_base = pafs.FileSystem.from_uri(out)
        except Exception as err:
            raise I2IError(f"{out}: cannot open ({' '.join(str(err).split())[:200]})") from None
        if out_fs.get_file_info(out_base).type == pafs.FileType.File:
            raise I2IError(f"{out}: output folder is an existing file")
        out_base = out_base.rstrip("/")
    elif Path(out).exists() and not Path(out).is_dir():
        raise I2IError(f"{out}: output folder is an existing file")
    input_names = {s.name for s in sources} | {s.path for s in sources}  # (at worst over-cautious)
    jobs: list[RayJob] = []
    seen: dict[str, str] = {}
    for s in sources:
        relative = s.relative.with_suffix(suffix) if suffix else s.relative
        if out_fs is not None:
            target, target_path = (
                f"{out.rstrip('/')}/{relative.as_posix()}",
                f"{out_base}/{relative.as_posix()}",
            )
        else:
            target, target_path = str(Path(out) / relative), str((Path(out) / relative).absolute())
        if target in input_names or target_path in input_names:
            raise overwrite_error(target)
        if target_path in seen:
            problems.append(Failure(s.name, duplicate_reason(target, seen[target_path])))
            continue
        seen[target_path] = s.name
        jobs.append(RayJob(s.name, target, s.fs, s.path, target_path))
    return RayPlan(jobs, problems, filesystems, out_fs, out_base)


def existing_targets(plan: RayPlan) -> set[str]:
    """Target paths that already exist (one listing of the output prefix for object stores)."""
    if plan.out_fs is None:
        return {j.target_path for j in plan.jobs if Path(j.target_path).exists()}
    import pyarrow.fs as pafs

    wanted = {j.target_path for j in plan.jobs}
    selector = pafs.FileSelector(plan.out_base, recursive=True, allow_not_found=True)
    return {i.path for i in plan.out_fs.get_file_info(selector) if i.path in wanted}


def job_tables(jobs: Sequence[RayJob], blocks: int) -> list[Any]:
    """The jobs as ``blocks`` pyarrow tables of about equal length (one Ray Data block each; columnar, so
    millions of jobs stay small on the driver)."""
    import pyarrow as pa

    table = pa.table({f.name: [getattr(job, f.name) for job in jobs] for f in fields(RayJob)})
    step = math.ceil(len(jobs) / blocks)
    return [table.slice(start, step) for start in range(0, len(jobs), step)]
