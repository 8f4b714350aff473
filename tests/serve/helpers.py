"""Helpers for the service tests: hand-built tiny models, an in-process server, stdlib HTTP calls."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from i2i.serve.pool import ModelEntry, ModelPool
from i2i.serve.settings import ServeSettings


def conv_model(path: Path, kind: str, input_pad: int = 0, **fields) -> Path:
    """A tiny i2i ONNX export built by hand (no torch): one 3x3 convolution on [0, 1] images.

    ``kind``: ``swap`` (red and blue exchanged, edges sharpened) or ``style`` (high-contrast edges).
    ``fields`` go into the header (task, name, direction, domains); sides are declared multiples of 4, so
    requests go through the same reflect-pad and crop as a real generator. ``input_pad``: the declared
    in-graph border (``i2i export --pad``); only the metadata says so, the graph adds none.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from i2i.modelfile import metadata_entries

    weight = np.zeros((3, 3, 3, 3), dtype=np.float32)
    laplace = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=np.float32)
    for out_c in range(3):
        in_c = 2 - out_c if kind == "swap" else out_c
        weight[out_c, in_c] = laplace * (0.5 if kind == "swap" else 2.0)
        weight[out_c, in_c, 1, 1] += 1.0
    nodes = [helper.make_node("Conv", ["image", "w", "b"], ["conv"], pads=[1, 1, 1, 1])]
    if kind == "style":
        nodes.append(helper.make_node("Sigmoid", ["conv"], ["output"]))
        bias = np.full(3, -0.5, dtype=np.float32)
        weight *= 6.0
        bias *= 6.0
    else:
        nodes.append(helper.make_node("Identity", ["conv"], ["output"]))
        bias = np.zeros(3, dtype=np.float32)
    dims = ["N", 3, "H", "W"]
    graph = helper.make_graph(
        nodes,
        kind,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, dims)],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    header = {
        "arch": {"name": f"conv3x3_{kind}", "kwargs": {}},
        "io": {"in_channels": 3, "out_channels": 3, "value_range": [0, 1], "size_multiple": 4},
        **fields,
    }
    helper.set_model_props(model, metadata_entries(json.dumps(header), input_pad=input_pad))
    onnx.save(model, str(path))
    return path


def image_bytes(size: tuple[int, int], fmt: str = "PNG", seed: int = 0, **params) -> bytes:
    """A smooth random RGB image (width, height) encoded as ``fmt``."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(1, size[1] // 4), max(1, size[0] // 4), 3), dtype=np.uint8)
    img = Image.fromarray(small).resize(size, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def detail(self) -> str:
        return self.json()["detail"]


def call(
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 60,
) -> Reply:
    """One HTTP request with urllib; error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def multipart(data: bytes, filename: str = "photo.png", field: str = "image") -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body with one file field, and its Content-Type header."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@contextmanager
def running(settings: ServeSettings, pool: ModelPool) -> Iterator[str]:
    """The app on uvicorn in a thread on 127.0.0.1 (a free port); yields the base URL."""
    from i2i.serve.run import bind, make_server

    sock = bind("127.0.0.1", 0)
    server = make_server(settings, pool)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class Gated:
    """A session that waits for ``gate`` before inferring (so tests can hold a worker busy)."""

    def __init__(self, inner, gate: threading.Event) -> None:
        self.inner = inner
        self.info = inner.info
        self.gate = gate
        self.entered = threading.Event()

    def __call__(self, batch):
        self.entered.set()
        self.gate.wait(30)
        return self.inner(batch)


def gated_pool(pool: ModelPool, gate: threading.Event) -> tuple[ModelPool, Gated]:
    """``pool``'s red2blue AtoB model behind a gate, alone in a new pool."""
    entry = pool.get("red2blue", "AtoB", "translate")
    gated = Gated(entry.session, gate)
    return ModelPool([ModelEntry(entry.name, gated, entry.source)]), gated


class Paced:
    """A session that takes ``seconds_per_pixel`` x the batch's pixels; while ``hold`` is set it instead
    waits for ``release`` (so tests can keep a known amount of work running)."""

    def __init__(self, inner, seconds_per_pixel: float) -> None:
        self.inner = inner
        self.info = inner.info
        self.seconds_per_pixel = seconds_per_pixel
        self.hold = threading.Event()
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, batch):
        if self.hold.is_set():
            self.entered.set()
            self.release.wait(30)
        else:
            time.sleep(self.seconds_per_pixel * batch.shape[-1] * batch.shape[-2])
        return self.inner(batch)


class Counting:
    """A session that counts its calls (to show a refused request was never processed)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.info = inner.info
        self.calls = 0

    def __call__(self, batch):
        self.calls += 1
        return self.inner(batch)


def wrapped_pool(pool: ModelPool, wrap) -> tuple[ModelPool, object]:
    """``pool``'s red2blue AtoB model wrapped by ``wrap(session)``, alone in a new pool."""
    entry = pool.get("red2blue", "AtoB", "translate")
    session = wrap(entry.session)
    return ModelPool([ModelEntry(entry.name, session, entry.source)]), session


def wait_until(condition, seconds: float = 10) -> None:
    """Poll ``condition`` every 10 ms until it holds (AssertionError after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def stop_server(proc: subprocess.Popen, strict: bool = True) -> str:
    """Ctrl-C a server process and return its stderr. One still running after 30 s is killed, and with
    ``strict`` that fails the caller (a server must stop on Ctrl-C)."""
    proc.send_signal(signal.SIGINT)
    try:
        stderr = proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        if strict:
            raise AssertionError("the server did not stop within 30 s of Ctrl-C") from None
        stderr = ""
    return stderr.decode() if isinstance(stderr, bytes) else (stderr or "")
