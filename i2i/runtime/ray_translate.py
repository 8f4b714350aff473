"""Translate at cluster scale on Ray Data: the driver side (torch-free; ray is imported when a run starts).

The driver lists the inputs and plans one job per image with the single-machine rules (relative names,
``--glob``, output format, skip-existing, collisions), then streams the jobs through three Ray Data stages
(:mod:`i2i.runtime.ray_stages`): read + decode tasks -> an actor pool that keeps one model session per
actor (GPU actors when the device is a GPU) -> encode + write tasks. Ray Data streams with back-pressure,
so memory stays bounded however many images there are. The model file is read once here and shipped to
the actors through the object store: workers need i2i and onnxruntime installed, not the model.

Paths: local paths (on a cluster they must be on storage every node mounts at the same place) or URIs
of any filesystem pyarrow opens (``s3://bucket/photos``, ``gs://...``, ``hdfs://...``, ``file:///...``).
Local outputs are written atomically; object-store outputs are one put per object.

Where Ray runs (``address``): ``"local"`` starts a private local runtime bound to 127.0.0.1 without a
dashboard, ``"auto"`` joins the cluster started on this machine (``ray start``), ``"HOST:PORT"`` or
``"ray://HOST:10001"`` join a remote one; None joins ``$RAY_ADDRESS`` when set, else starts a local
runtime. An already initialised Ray runtime is used as is (and left running).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from i2i.errors import I2IError
from i2i.imageio import is_image_path
from i2i.runtime.engine import open_session
from i2i.runtime.inputs import FORMATS, _matches, collect_sources, plan_jobs
from i2i.runtime.pipeline import TranslateOptions
from i2i.sessions.onnxruntime_session import TranslatorSession

#: The one line shown when Ray is missing.
RAY_MISSING = 'running on Ray needs Ray Data, which is not installed: pip install "i2i[ray]"'

#: ``on_result(source, status, reason)`` with status ``done`` | ``skipped`` | ``failed``.
RayResultCallback = Callable[[str, str, str], None]

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_ADDRESS = re.compile(r"^(local|auto|ray://\S+|\[?[\w.:-]+\]?:\d+)$")


def import_ray() -> Any:
    """The ``ray`` module with Ray Data loaded; I2IError with the install command when it is missing."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise I2IError(RAY_MISSING) from None
    return ray


def is_uri(text: str) -> bool:
    """True for ``scheme://...`` (object stores, ``file://``); False for local paths."""
    return _URI.match(text) is not None


def check_address(address: str | None) -> None:
    """Raise I2IError unless ``address`` is None, ``local``, ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``."""
    if address is not None and not _ADDRESS.match(address):
        raise I2IError(
            f"--ray {address!r}: an address is 'local', 'auto', HOST:PORT or ray://HOST:PORT "
            "(write --ray after the input and output paths, or give it an address)"
        )


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


@dataclass
class RaySummary:
    """What a run did. ``failures`` includes the planning problems; ``providers`` are the execution
    providers the actors used (``cpu``, ``cuda`` ...); ``actors`` the size limit of the actor pool."""

    done: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    providers: set[str] = field(default_factory=set)
    actors: int = 0

    @property
    def images_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


# ------------------------------------------------------------------------------------------- planning
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
        if glob is None or _matches(relative, glob):
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

    if fmt not in FORMATS:
        raise I2IError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
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
    suffix = FORMATS[fmt]
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
            raise I2IError(
                f"{target}: output would overwrite an input; choose another output folder or format"
            )
        if target_path in seen:
            problems.append(Failure(s.name, f"output {target} is already the result of {seen[target_path]}"))
            continue
        seen[target_path] = s.name
        jobs.append(RayJob(s.name, target, s.fs, s.path, target_path))
    return RayPlan(jobs, problems, filesystems, out_fs, out_base)


def _existing(plan: RayPlan) -> set[str]:
    """Target paths that already exist (one listing of the output prefix for object stores)."""
    if plan.out_fs is None:
        return {j.target_path for j in plan.jobs if Path(j.target_path).exists()}
    import pyarrow.fs as pafs

    wanted = {j.target_path for j in plan.jobs}
    selector = pafs.FileSelector(plan.out_base, recursive=True, allow_not_found=True)
    return {i.path for i in plan.out_fs.get_file_info(selector) if i.path in wanted}


def _job_tables(jobs: Sequence[RayJob], blocks: int) -> list[Any]:
    """The jobs as ``blocks`` pyarrow tables of about equal length (one Ray Data block each; columnar, so
    millions of jobs stay small on the driver)."""
    import pyarrow as pa

    table = pa.table({f.name: [getattr(job, f.name) for job in jobs] for f in fields(RayJob)})
    step = math.ceil(len(jobs) / blocks)
    return [table.slice(start, step) for start in range(0, len(jobs), step)]


# ------------------------------------------------------------------------------------------ Ray runtime
@contextlib.contextmanager
def ray_runtime(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """The ``ray`` module, connected for the duration of the block (see the module docstring for
    ``address``). ``num_cpus`` limits a local runtime (None: all cores). Shuts down only what it started.

    Raises:
        I2IError: Ray is missing, the address is malformed, or the cluster cannot be reached.
    """
    check_address(address)
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    address = address or os.environ.get("RAY_ADDRESS") or "local"
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
    try:
        if address == "local":
            ray.init(
                address="local",
                num_cpus=num_cpus,
                include_dashboard=False,
                _node_ip_address="127.0.0.1",  # a private runtime: nothing listens beyond this machine
                **quiet,
            )
        else:
            ray.init(address=address, **quiet)
    except Exception as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise I2IError(f"cannot start or join Ray at {address!r}: {first}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _quiet_ray_data(ray: Any) -> None:
    """Our own progress bar and report replace Ray Data's per-operator bars and INFO lines."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    for name in ("ray.data", "ray"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _user_error(err: BaseException) -> I2IError | None:
    """The I2IError behind a Ray exception chain (an actor that could not load the model, say)."""
    stack: list[BaseException | None] = [err]
    seen: set[int] = set()
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        cause = getattr(e, "cause", None)
        if isinstance(cause, I2IError):
            return cause
        if isinstance(e, I2IError) and type(e).__module__.startswith("i2i."):
            return e  # (Ray's wrappers subclass the cause too, but their text is a traceback)
        stack += [e.__cause__, e.__context__, cause if isinstance(cause, BaseException) else None]
    return None


def _pool_size(ray: Any, gpu: bool, cpus_per_actor: int, actors: int | None) -> int:
    if actors is not None:
        return actors
    resources = ray.cluster_resources()
    if gpu:
        return max(1, int(resources.get("GPU", 0)))
    return max(1, int(resources.get("CPU", 1) // cpus_per_actor))


def run_ray_plan(
    plan: RayPlan,
    model_path: str | Path,
    *,
    multiple: int,
    in_channels: int = 3,
    options: TranslateOptions | None = None,
    device: str = "auto",
    threads: int | None = None,
    actors: int | None = None,
    runtime: str = "auto",
    precision: str = "auto",
    session_factory: Callable[[Path], Any] | None = None,
    on_result: RayResultCallback | None = None,
) -> RaySummary:
    """Run ``plan`` on the connected Ray runtime (use :func:`ray_runtime`); never raises for a bad image.

    Actors: GPU actors (one GPU each) for ``device`` cuda/tensorrt, or auto on a cluster with GPUs; else
    CPU actors reserving ``threads`` CPUs each (default 1) with that many onnxruntime threads. The pool
    grows from 1 to ``actors`` (default: as many as the cluster's GPUs or CPUs allow).
    ``session_factory(path)`` makes each actor's session (default:
    :func:`~i2i.runtime.engine.open_session` with ``runtime``, ``precision``, ``device`` and ``threads``,
    as on a single machine); it must be picklable. ``options.workers`` is not used (Ray schedules).

    Raises:
        I2IError: a GPU device on a cluster without GPUs (unless ``actors`` is given), or an actor could
            not load the model.
    """
    from i2i.runtime.ray_stages import InferStage, read_stage, write_stage

    ray = import_ray()
    options = options or TranslateOptions()
    summary = RaySummary(failures=list(plan.problems))
    start = time.perf_counter()

    def report(source: str, status: str, reason: str) -> None:
        if status == "done":
            summary.done += 1
        elif status == "skipped":
            summary.skipped += 1
        else:
            summary.failures.append(Failure(source, reason))
        if on_result is not None:
            on_result(source, status, reason)

    existing = set() if options.overwrite else _existing(plan)
    todo = [job for job in plan.jobs if job.target_path not in existing]
    for job in plan.jobs:
        if job.target_path in existing:
            report(job.source, "skipped", "output exists")
    if not todo:
        summary.seconds = time.perf_counter() - start
        return summary
    _quiet_ray_data(ray)
    cluster_gpus = ray.cluster_resources().get("GPU", 0)
    gpu = device in ("cuda", "tensorrt") or (device == "auto" and cluster_gpus > 0)
    if gpu and not cluster_gpus and actors is None:  # the actors could never be placed: say so, do not hang
        raise I2IError(
            f"--device {device}: the Ray cluster has no GPUs (with an autoscaler that adds GPU nodes, "
            "give the number of actors to wait for: --ray-actors N)"
        )
    cpus = 1 if gpu else (threads or 1)
    summary.actors = _pool_size(ray, gpu, cpus, actors)
    if session_factory is None:
        session_device = "cpu" if device == "auto" and not gpu else device  # CPU actors own no GPU
        session_factory = functools.partial(
            open_session, runtime=runtime, precision=precision, device=session_device, threads=threads or cpus
        )
    model_path = Path(model_path)
    total_cpus = int(ray.cluster_resources().get("CPU", 1))
    blocks = min(len(todo), max(2 * total_cpus, math.ceil(len(todo) / 64)))
    ds = ray.data.from_arrow(_job_tables(todo, blocks))
    ds = ds.map_batches(
        read_stage,
        fn_kwargs={"filesystems": plan.filesystems, "resize": options.resize},
        batch_format="numpy",
        batch_size=None,
        num_cpus=1,
    )
    ds = ds.map_batches(
        InferStage,
        fn_constructor_kwargs={
            "model": [ray.put(model_path.read_bytes())],  # a reference: one copy in the object store
            "model_name": model_path.name,
            "session_factory": session_factory,
            "multiple": multiple,
            "in_channels": in_channels,
            "options": options,
        },
        batch_format="numpy",
        batch_size=max(8, 4 * options.batch),
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=summary.actors),
        num_cpus=cpus,
        num_gpus=1 if gpu else 0,
    )
    ds = ds.map_batches(
        write_stage,
        fn_kwargs={"out_fs": plan.out_fs, "quality": options.quality, "overwrite": options.overwrite},
        batch_format="numpy",
        batch_size=None,
        num_cpus=1,
    )
    try:
        for row in ds.iter_rows():
            summary.providers.add(str(row["provider"]))
            report(str(row["source"]), str(row["status"]), str(row["reason"]))
    except Exception as err:
        user = _user_error(err)
        if user is None:
            raise
        raise I2IError(f"on Ray: {user}") from None
    summary.seconds = time.perf_counter() - start
    return summary


def translate_ray(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    model: str | Path,
    *,
    address: str | None = None,
    direction: str | None = None,
    fmt: str = "same",
    glob: str | None = None,
    recursive: bool = True,
    options: TranslateOptions | None = None,
    device: str = "auto",
    threads: int | None = None,
    actors: int | None = None,
    num_cpus: int | None = None,
    runtime: str = "auto",
    precision: str = "auto",
    session_factory: Callable[[Path], Any] | None = None,
    on_result: RayResultCallback | None = None,
) -> RaySummary:
    """Translate image files and folders (local or ``s3://``/``gs://``/... URIs) into ``out_dir`` on Ray.

    The Ray counterpart of ``i2i translate``: same relative names, formats, skip-existing rule
    (``options.overwrite``) and per-file failures (in the summary, never raised), same output bytes.
    ``model``: a model name or an ``.onnx`` file (resolved here, on the driver). ``address``: where Ray
    runs (module docstring); ``num_cpus`` limits a local runtime. See :func:`run_ray_plan` for ``device``,
    ``threads``, ``actors`` and ``session_factory``.

    Raises:
        I2IError: Ray missing, bad address, unknown model, unknown format, output is a file or an input.
    """
    from i2i.runtime.resolve import resolve_model

    import_ray()
    check_address(address)
    plan = plan_ray_jobs([str(p) for p in inputs], str(out_dir), fmt, glob, recursive)
    path = resolve_model(str(model), direction)
    info = TranslatorSession(path, device="cpu", threads=1).info  # fail here, not in every actor
    if direction and info.direction and direction != info.direction:
        raise I2IError(f"{path}: translates {info.direction}, not {direction}")
    with ray_runtime(address, num_cpus=num_cpus):
        return run_ray_plan(
            plan,
            path,
            multiple=info.size_multiple,
            in_channels=info.io.in_channels,
            options=options,
            device=device,
            threads=threads,
            actors=actors,
            runtime=runtime,
            precision=precision,
            session_factory=session_factory,
            on_result=on_result,
        )
