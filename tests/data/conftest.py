"""Fixtures for the data tests: a local HTTP server with Range support, and tiny synthetic datasets."""

from __future__ import annotations

import io
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from PIL import Image


@dataclass
class ServerState:
    """What the test server serves and how it misbehaves, plus a log of requests."""

    root: Path
    range_support: bool = True
    #: url path -> number of body bytes to actually send before closing (Content-Length stays honest)
    truncate: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        state = self.server.state
        url_path = unquote(urlsplit(self.path).path)
        state.requests.append((url_path, self.headers.get("Range")))
        target = (state.root / url_path.lstrip("/")).resolve()
        if state.root.resolve() not in target.parents or not target.is_file():
            self.send_error(404)
            return
        data = target.read_bytes()
        total, start, status = len(data), 0, 200
        requested = self.headers.get("Range")
        if requested and state.range_support:
            m = re.fullmatch(r"bytes=(\d+)-", requested.strip())
            if m:
                start = int(m.group(1))
                if start >= total:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{total}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if state.range_support:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
        self.end_headers()
        limit = state.truncate.get(url_path)
        self.wfile.write(body if limit is None else body[:limit])
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState


@dataclass
class LocalServer:
    base_url: str
    state: ServerState

    @property
    def root(self) -> Path:
        return self.state.root

    def count(self, suffix: str) -> int:
        return sum(1 for path, _ in self.state.requests if path.endswith(suffix))


@pytest.fixture
def http_server(tmp_path: Path, monkeypatch) -> Iterator[LocalServer]:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0) serving ``tmp_path/srv`` with Range support.

    It speaks plain http, so downloads from it are allowed as a user allows a mirror over http
    (``I2I_INSECURE_DOWNLOADS=1``); tests of the https rule unset that.
    """
    monkeypatch.setenv("I2I_INSECURE_DOWNLOADS", "1")
    root = tmp_path / "srv"
    root.mkdir()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = ServerState(root=root)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="test-http", daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield LocalServer(base_url=f"http://{host}:{port}", state=server.state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------------------ image data


def noise_image(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), mode="RGB")


def image_bytes(img: Image.Image, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def _add_bytes(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def build_facades_tar(path: Path, counts: dict[str, int] | None = None) -> Path:
    """A facades-like ``.tar.gz``: ``facades/{train,val,test}/N.jpg``, each an 8x4 AB image."""
    counts = counts or {"train": 3, "val": 2, "test": 2}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tf:
        for split, n in counts.items():
            for i in range(n):
                _add_bytes(tf, f"facades/{split}/{i + 1}.jpg", image_bytes(noise_image(8, 4, seed=i)))
    return path


def build_apple2orange_zip(path: Path) -> Path:
    """An apple2orange-like ``.zip``: ``apple2orange/{trainA,trainB,testA,testB}/*.jpg`` (4x4 images)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for split, n in {"trainA": 3, "trainB": 2, "testA": 1, "testB": 1}.items():
            zf.writestr(f"apple2orange/{split}/", b"")
            for i in range(n):
                zf.writestr(f"apple2orange/{split}/n{i:04d}.jpg", image_bytes(noise_image(4, 4, seed=i)))
    return path


@pytest.fixture
def facades_archive(http_server: LocalServer) -> Path:
    return build_facades_tar(http_server.root / "pix2pix" / "datasets" / "facades.tar.gz")


@pytest.fixture
def apple2orange_archive(http_server: LocalServer) -> Path:
    return build_apple2orange_zip(http_server.root / "cyclegan" / "datasets" / "apple2orange.zip")


@pytest.fixture
def helpers() -> SimpleNamespace:
    """The builders above, as a fixture (so test modules need not import conftest by name)."""
    return SimpleNamespace(
        noise_image=noise_image,
        image_bytes=image_bytes,
        build_facades_tar=build_facades_tar,
        build_apple2orange_zip=build_apple2orange_zip,
    )
