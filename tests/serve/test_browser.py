"""The web page in a real headless Chromium, driven over WebDriver's HTTP protocol (no extra packages):
choose a file, wait for the translation, check the returned image's bytes and what the page shows.

Needs the Debian packages `chromium` and `chromium-driver` (`.ci/run` installs them where it can); skips
with the reason when they are absent. ``I2I_SERVE_SCREENSHOT=PATH`` also saves the page after the
translation there (the README's docs/images/serve_page.png).

They run in the suite's pytest-xdist workers like any other file. A worker that had run OpenVINO and a
torch DataLoader with workers was killed by SIGSEGV when chromedriver, its child, exited: see
:func:`_sigchld_default` and ``_repair_alternate_signal_stack`` in tests/conftest.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from i2i.serve.settings import ServeSettings
from tests.conftest import shared_dir
from tests.serve.helpers import call, running

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element reference key
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1100,760",
]

#: `.ci/run` sets this when it has Chromium and chromedriver: then a missing browser fails these tests
#: instead of skipping them, so a passing CI run means the page was tested.
REQUIRED = os.environ.get("I2I_BROWSER_TESTS") == "required"
MISSING = (
    "headless browser test needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"
)

pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and not REQUIRED, reason=f"{MISSING}; not found on PATH"
)


def test_the_browser_is_there_when_ci_requires_it():
    """Meaningful with I2I_BROWSER_TESTS=required (`.ci/run`); elsewhere the module skips without them."""
    assert CHROMIUM is not None and CHROMEDRIVER is not None, f"I2I_BROWSER_TESTS=required: {MISSING}"


class WebDriver:
    """The few W3C WebDriver commands the test needs, over HTTP to a local chromedriver."""

    def __init__(self, port: int, profile: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        options = {"binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={profile}"]}
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as err:
            raise AssertionError(f"WebDriver {method} {path}: {err.read()[:500]!r}") from None

    def cmd(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def script(self, source: str, *args, asynchronous: bool = False):
        kind = "async" if asynchronous else "sync"
        return self.cmd("POST", f"/execute/{kind}", {"script": source, "args": list(args)})

    def wait_for(self, source: str, seconds: float = 30):
        deadline = time.monotonic() + seconds
        while not (value := self.script(source)):
            assert time.monotonic() < deadline, f"timed out waiting for: {source}"
            time.sleep(0.1)
        return value

    def element(self, css: str) -> str:
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def quit(self) -> None:
        self.cmd("DELETE", "")


@contextmanager
def _sigchld_default() -> Iterator[None]:
    """SIGCHLD without a Python handler while chromedriver (this process's child) runs and exits.

    A torch DataLoader with workers leaves a Python SIGCHLD handler installed, and Python's handlers run on
    the thread's alternate signal stack, which OpenVINO can leave pointing at unmapped memory (see
    ``_repair_alternate_signal_stack`` in tests/conftest.py, which mends it before and after each test).
    Then the SIGCHLD of chromedriver's exit cannot be delivered and the kernel kills the worker with
    SIGSEGV. With no handler (SIG_DFL, not SIG_IGN: the child is still reaped by ``wait``) the signal needs
    no stack, also should OpenVINO sessions be freed during the test; the previous handler comes back after.
    """
    previous = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        yield
    finally:
        if previous is not None:  # None: a handler set outside Python, which cannot be put back from here
            signal.signal(signal.SIGCHLD, previous)


@pytest.fixture
def browser(tmp_path):
    with _sigchld_default():
        yield from _browser(tmp_path)


def _browser(tmp_path: Path) -> Iterator[WebDriver]:
    with socket_port() as port:
        driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as reply:
                    if json.loads(reply.read())["value"]["ready"]:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "chromedriver did not start"
            time.sleep(0.1)
        web = WebDriver(port, tmp_path / "profile")
        try:
            yield web
        finally:
            web.quit()
    finally:
        driver.terminate()
        driver.wait(10)


class socket_port:
    """A free TCP port on 127.0.0.1 (released on exit, for a child process to bind)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()


def _photo(path: Path) -> Path:
    """A real photo when the shared data is here (for the screenshot), else a generated one."""
    source = shared_dir() / "data" / "content" / "tubingen.jpg"
    if source.is_file():
        img = Image.open(source).convert("RGB")
        img.thumbnail((420, 420))
    else:
        img = Image.radial_gradient("L").resize((320, 240)).convert("RGB")
        img.paste((220, 40, 40), (40, 40, 160, 160))
    img.save(path, quality=92)
    return path


def test_page_uploads_a_file_and_shows_the_translation(browser, pool, tmp_path):
    photo = _photo(tmp_path / "photo.jpg")
    with running(ServeSettings(port=0), pool) as url:
        expected = call(f"{url}/v1/translate?model=red2blue&direction=AtoB&format=png", photo.read_bytes())
        browser.cmd("POST", "/url", {"url": url + "/"})
        browser.wait_for("return document.body.dataset.ready === '1'")
        options = browser.script("return [...document.querySelectorAll('#model option')].map(o => o.text)")
        assert options == ["mosaic · fast_style", "red2blue (AtoB) · cyclegan", "red2blue (BtoA) · cyclegan"]
        browser.script(
            "const s = document.getElementById('model'); s.value = '1'; s.dispatchEvent(new Event('change'))"
        )
        browser.script("document.getElementById('format').value = 'png'")
        browser.cmd("POST", f"/element/{browser.element('#file')}/value", {"text": str(photo)})
        assert browser.wait_for("return window.i2i.status") == 200, browser.script(
            "return document.getElementById('status').textContent"
        )
        data_url = browser.script(
            "const done = arguments[arguments.length - 1]; const r = new FileReader();"
            "r.onload = () => done(r.result); r.readAsDataURL(window.i2i.output);",
            asynchronous=True,
        )
        got = base64.b64decode(data_url.split(",", 1)[1])
        assert got == expected.body
        assert Image.open(io.BytesIO(got)).size == Image.open(photo).size
        shown = browser.wait_for(
            "const o = document.getElementById('output'), i = document.getElementById('input');"
            "return o.complete && o.naturalWidth ? [o.naturalWidth, o.naturalHeight, i.naturalWidth] : null"
        )
        assert shown == [*Image.open(photo).size, Image.open(photo).size[0]]
        link = browser.script("const a = document.getElementById('download'); return [a.hidden, a.download]")
        assert link == [False, "photo.red2blue.png"]
        assert browser.script("return document.getElementById('status').textContent").startswith("Done in")
        shot = base64.b64decode(browser.cmd("GET", "/screenshot"))
    (tmp_path / "page.png").write_bytes(shot)
    if target := os.environ.get("I2I_SERVE_SCREENSHOT"):
        _save_small_png(shot, Path(target))


def _save_small_png(png: bytes, target: Path, limit: int = 300_000) -> None:
    """Save the screenshot, palette-quantised when needed to stay under ``limit`` bytes."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    target.parent.mkdir(parents=True, exist_ok=True)
    img.save(target, optimize=True)
    if target.stat().st_size > limit:
        img.quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(target, optimize=True)


def test_page_with_token_asks_for_it_then_works(browser, pool, tmp_path):
    photo = tmp_path / "small.png"
    Image.new("RGB", (24, 16), (255, 0, 0)).save(photo)
    with running(ServeSettings(port=0, token="page-token"), pool) as url:
        browser.cmd("POST", "/url", {"url": url + "/"})
        message = browser.wait_for(
            "const s = document.getElementById('status').textContent; return s.includes('token') && s"
        )
        assert message == "This server needs a token: enter it above."
        assert browser.script("return document.getElementById('tokenbox').hidden") is False
        browser.cmd("POST", f"/element/{browser.element('#token')}/value", {"text": "page-token"})
        browser.cmd("POST", f"/element/{browser.element('#save-token')}/click", {})
        browser.wait_for("return document.body.dataset.ready === '1'")
        browser.cmd("POST", f"/element/{browser.element('#file')}/value", {"text": str(photo)})
        assert browser.wait_for("return window.i2i.status") == 200
        assert browser.script("return window.i2i.output.size") > 0


def test_page_shows_the_servers_error_for_a_file_that_is_not_an_image(browser, pool, tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_bytes(b"this is text, not a PNG")
    with running(ServeSettings(port=0), pool) as url:
        expected = call(f"{url}/v1/translate?model=red2blue&direction=AtoB", bogus.read_bytes())
        assert expected.status == 415  # not a decodable image
        browser.cmd("POST", "/url", {"url": url + "/"})
        browser.wait_for("return document.body.dataset.ready === '1'")
        browser.cmd("POST", f"/element/{browser.element('#file')}/value", {"text": str(bogus)})
        assert browser.wait_for("return window.i2i.status") == 415
        shown = browser.script(
            "const s = document.getElementById('status'); return [s.className, s.textContent]"
        )
        assert shown[0] == "error"
        assert shown[1] == f"415: {json.loads(expected.body)['detail']}"
        assert browser.script("return document.getElementById('download').hidden") is True
