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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from i2i.batch import Tally
from i2i.errors import I2IError, first_line
from i2i.progress import StopControl
from i2i.runtime.engine import open_session
from i2i.runtime.pipeline import TranslateOptions, check_direction
from i2i.runtime.ray_plan import Failure, RayJob, RayPlan, existing_targets, is_uri, job_tables, plan_ray_jobs

__all__ = [
    "RAY_MISSING",
    "Failure",
    "RayJob",
    "RayPlan",
    "RaySummary",
    "check_address",
    "checked_model",
    "import_ray",
    "is_uri",
    "plan_ray_jobs",
    "ray_runtime",
    "run_ray_plan",
    "translate_ray",
]

#: The one line shown when Ray is missing.
RAY_MISSING = 'running on Ray needs Ray Data, which is not installed: pip install "i2i[ray]"'

#: ``on_result(source, status, reason)`` with status ``done`` | ``skipped`` | ``failed``.
RayResultCallback = Callable[[str, str, str], None]

_ADDRESS = re.compile(r"^(local|auto|ray://\S+|\[?[\w.:-]+\]?:\d+)$")


def import_ray() -> Any:
    """The ``ray`` module with Ray Data loaded; I2IError with the install command when it is missing."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise I2IError(RAY_MISSING) from None
    return ray


def check_address(address: str | None) -> None:
    """Raise I2IError unless ``address`` is None, ``local``, ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``."""
    if address is not None and not _ADDRESS.match(address):
        raise I2IError(
            f"--ray {address!r}: an address is 'local', 'auto', HOST:PORT or ray://HOST:PORT "
            "(write --ray after the input and output paths, or give it an address)"
        )


@dataclass
class RaySummary(Tally[Failure]):
    """What a run did. ``failures`` includes the planning problems; ``providers`` are the execution
    providers the actors used (``cpu``, ``cuda`` ...); ``actors`` the size limit of the actor pool;
    ``nodes`` the cluster's nodes (set by :func:`translate_ray`);
    ``interrupted``: Ctrl-C stopped the run before every job was reported."""

    providers: set[str] = field(default_factory=set)
    actors: int = 0
    nodes: int = 0
    interrupted: bool = False


def checked_model(model: str, direction: str | None) -> tuple[Path, Any]:
    """The model file for ``model`` (a name or an ``.onnx`` path) and its metadata, read on the driver
    so a wrong model fails here once, not in every actor.

    Raises:
        I2IError: unknown model, unreadable file, or a model that does not translate ``direction``.
    """
    from i2i.runtime import TranslatorSession
    from i2i.runtime.resolve import resolve_model

    path = resolve_model(model, direction)
    info = TranslatorSession(path, device="cpu", threads=1).info
    check_direction(path, info, direction)
    return path, info


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
        first = first_line(err)
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
    stop: StopControl | None = None,
) -> RaySummary:
    """Run ``plan`` on the connected Ray runtime (use :func:`ray_runtime`); never raises for a bad image.

    Actors: GPU actors (one GPU each) for ``device`` cuda/tensorrt, or auto on a cluster with GPUs; else
    CPU actors reserving ``threads`` CPUs each (default 1) with that many onnxruntime threads. The pool
    grows from 1 to ``actors`` (default: as many as the cluster's GPUs or CPUs allow).
    ``session_factory(path)`` makes each actor's session (default:
    :func:`~i2i.runtime.engine.open_session` with ``runtime``, ``precision``, ``device`` and ``threads``,
    as on a single machine); it must be picklable. ``options.workers`` is not used (Ray schedules).
    ``stop``: after a Ctrl-C the results not yet reported are not waited for (``interrupted`` is set).

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
        summary.count(status, lambda: Failure(source, reason))
        if on_result is not None:
            on_result(source, status, reason)

    existing = set() if options.overwrite else existing_targets(plan)
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
    ds = ray.data.from_arrow(job_tables(todo, blocks))
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
        for reported, row in enumerate(ds.iter_rows(), start=1):
            summary.providers.add(str(row["provider"]))
            report(str(row["source"]), str(row["status"]), str(row["reason"]))
            if stop is not None and stop.interrupted and reported < len(todo):
                summary.interrupted = True
                break
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
    stdin_lines: Iterable[str] | None = None,
    options: TranslateOptions | None = None,
    device: str = "auto",
    threads: int | None = None,
    actors: int | None = None,
    num_cpus: int | None = None,
    runtime: str = "auto",
    precision: str = "auto",
    session_factory: Callable[[Path], Any] | None = None,
    on_plan: Callable[[RayPlan], None] | None = None,
    on_start: Callable[[RayPlan, Any], None] | None = None,
    on_result: RayResultCallback | None = None,
    stop: StopControl | None = None,
) -> RaySummary:
    """Translate image files and folders (local or ``s3://``/``gs://``/... URIs) into ``out_dir`` on Ray.

    The Ray counterpart of ``i2i translate``: same relative names, formats, skip-existing rule
    (``options.overwrite``) and per-file failures (in the summary, never raised), same output bytes.
    ``model``: a model name or an ``.onnx`` file (resolved here, on the driver). ``address``: where Ray
    runs (module docstring); ``num_cpus`` limits a local runtime. See :func:`run_ray_plan` for ``device``,
    ``threads``, ``actors``, ``session_factory`` and ``stop``. ``stdin_lines``: the local paths ``-``
    stands for. ``on_plan(plan)`` sees the plan before the model is read, ``on_start(plan, info)`` the
    model's metadata before Ray starts (the CLI reports there).

    Raises:
        I2IError: Ray missing, bad address, unknown model, unknown format, output is a file or an input.
    """
    check_address(address)
    import_ray()  # say how to install it before any work
    plan = plan_ray_jobs([str(p) for p in inputs], str(out_dir), fmt, glob, recursive, stdin_lines)
    if on_plan is not None:
        on_plan(plan)
    path, info = checked_model(str(model), direction)  # fail here, not in every actor
    if on_start is not None:
        on_start(plan, info)
    with ray_runtime(address, num_cpus=num_cpus) as ray:
        summary = run_ray_plan(
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
            stop=stop,
        )
        summary.nodes = len(ray.nodes())
    return summary
