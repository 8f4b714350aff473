"""What the service exposes and to whom (issues 17.3 and 14.4): registry names, header-safe names, the
Host check on tokenless servers, the token from a file, security headers, no third-party assets."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from typer.testing import CliRunner

from i2i.errors import I2IError
from i2i.serve.auth import host_allowed
from i2i.serve.pool import ModelPool
from i2i.serve.settings import ServeSettings
from i2i.zoo.manage import add_user_onnx
from i2i.zoo.store import load_zoo
from tests.security.rawhttp import connect, read_reply, request_head
from tests.serve.helpers import call, conv_model, image_bytes, running


def test_registry_names_are_the_served_names():
    # facades_label2photo's file calls itself facades_labels2photo; the registry name is what users type.
    pool = ModelPool.load(("facades_label2photo", "apple2orange:BtoA"), device="cpu", threads=1)
    assert [(e.name, e.direction) for e in pool.entries()] == [
        ("apple2orange", "BtoA"),
        ("facades_label2photo", "BtoA"),
    ]
    assert pool.get("facades_label2photo", None, "translate").info.name == "facades_labels2photo"


def test_without_models_every_shipped_and_user_model_is_served(tmp_path, monkeypatch):
    monkeypatch.setenv("I2I_MODELS_DIR", str(tmp_path / "user"))
    mine = conv_model(tmp_path / "mine.onnx", "style", task="fast_style", name="inner_name")
    add_user_onnx("my_style", mine)
    broken = conv_model(tmp_path / "broken.onnx", "swap", task="pix2pix", name="broken")
    add_user_onnx("broken_one", broken)
    (tmp_path / "user" / "broken_one.onnx").write_bytes(b"garbage")  # now fails its sha256 check

    pool, skipped = ModelPool.load_registry(device="cpu", threads=1)
    expected = sorted(n for n in load_zoo().names() if n != "broken_one")
    assert sorted(e.name for e in pool.entries()) == expected
    assert "my_style" in expected and "starry" in expected and "orange2apple" in expected
    assert len(skipped) == 1 and skipped[0].startswith("broken_one: ")


def test_any_model_name_reaches_headers_safely(tmp_path):
    path = conv_model(tmp_path / "jp.onnx", "swap", task="pix2pix", name="\u5199\u771f\u2192\u7d75 caf\u00e9")
    pool = ModelPool.load((str(path),), device="cpu", threads=1)
    with running(ServeSettings(port=0), pool) as url:
        name = "%E5%86%99%E7%9C%9F%E2%86%92%E7%B5%B5%20caf%C3%A9"
        reply = call(f"{url}/v1/translate?model={name}", image_bytes((9, 9)), {"Content-Type": "image/png"})
        assert reply.status == 200, reply.body[:200]
        assert reply.headers["x-i2i-model"] == name
        assert reply.headers["content-disposition"] == 'inline; filename="image._caf_.png"'


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("192.168.1.20", True),
        ("evil.example", False),
        ("evil.example:8000", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.evil.example", False),
    ],
)
def test_host_names(host, allowed):
    assert host_allowed(host) is allowed


def test_tokenless_server_refuses_other_host_names(pool):
    with running(ServeSettings(port=0, allowed_hosts=("studio.lan",)), pool) as url:
        for host, status in [("evil.example", 400), ("studio.lan:1234", 200), ("localhost", 200)]:
            with connect(url) as sock:
                sock.sendall(
                    request_head("GET", "/v1/models").replace(b"Host: 127.0.0.1", f"Host: {host}".encode())
                )
                reply = read_reply(sock)
            assert reply is not None and reply.status == status, host
        assert reply.headers["content-security-policy"]  # the last one: headers on a normal answer too
    with running(ServeSettings(port=0), pool) as url:
        with connect(url) as sock:
            sock.sendall(request_head("GET", "/health").replace(b"Host: 127.0.0.1", b"Host: evil.example"))
            reply = read_reply(sock)
        assert reply.status == 400
        assert reply.detail == (
            "host 'evil.example' is not allowed: use this server by IP address or localhost, "
            "or start it with --allow-host NAME or --token"
        )
    # a token replaces the Host check
    with running(ServeSettings(port=0, token="t0ken"), pool) as url, connect(url) as sock:
        sock.sendall(request_head("GET", "/health").replace(b"Host: 127.0.0.1", b"Host: evil.example"))
        assert read_reply(sock).status == 200


def test_page_and_docs_send_security_headers_and_load_nothing_from_elsewhere(pool):
    with running(ServeSettings(port=0), pool) as url:
        for path in ("/", "/docs", "/static/app.js", "/health", "/v1/translate?model=nope"):
            reply = call(url + path, b"x" if path.startswith("/v1") else None)
            csp = reply.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp, path
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert reply.headers["x-frame-options"] == "DENY"
        docs = call(f"{url}/docs").body.decode()
        assert '<script src="/static/docs.js"></script>' in docs
    static = resources.files("i2i.serve") / "static"
    for name in ("index.html", "docs.html", "app.js", "docs.js"):
        text = (static / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|//cdn|<script>", text), name  # own files only, no inline script


def test_token_from_a_file(tmp_path):
    from i2i.serve.command import read_token_file, register

    (tmp_path / "token").write_text("  s3cret  \nsecond line ignored\n")
    assert read_token_file(tmp_path / "token") == "s3cret"
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(I2IError, match="first line is empty"):
        read_token_file(tmp_path / "empty")

    import typer

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(
        app, ["serve", "--token", "a", "--token-file", str(tmp_path / "token"), "--port", "0"]
    )
    assert isinstance(result.exception, I2IError)
    assert str(result.exception) == "give the token once: --token/I2I_SERVE_TOKEN or --token-file"


def test_serve_process_without_models_serves_the_registry(tmp_path):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "I2I_MODELS_DIR": str(tmp_path / "no_user_models"), "COLUMNS": "300"}
    cmd = [sys.executable, "-m", "i2i.serve", "--port", str(port), "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                models = call(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    names = sorted(m["name"] for m in models.json()["models"])
    assert names == sorted(load_zoo().shipped)
    assert f"serving {len(names)} model(s) on http://127.0.0.1:{port}" in stderr
