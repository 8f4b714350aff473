"""Serve memory is bounded by --max-memory (issue 17.2): each running request gets max_memory / workers;
images that fit run whole, larger ones run tiled, those that cannot fit get 413; memory goes back after."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2i.serve.imaging import run_model
from i2i.serve.limits import ServeError
from i2i.serve.memory import BUFFER_BYTES_PER_PIXEL, NETWORK_BYTES_PER_PIXEL, Plan, plan_image
from i2i.serve.settings import ServeSettings
from tests.serve.helpers import call, image_bytes, running, stop_server

MiB = 2**20


def test_plan_runs_whole_when_it_fits_else_the_largest_tile_that_fits():
    assert plan_image(100, 60, 4, 64 * MiB) == Plan(None, (64 + 2048) * 100 * 60)
    # 2000 x 2000 in 1 GiB: buffers 256 MB, tiles of floor(sqrt((1 GiB - 256 MB) / 2 KiB)) = 631 -> 628
    plan = plan_image(2000, 2000, 4, 1024 * MiB)
    assert plan == Plan(628, BUFFER_BYTES_PER_PIXEL * 2000 * 2000 + NETWORK_BYTES_PER_PIXEL * 628 * 628)
    assert plan.need <= 1024 * MiB
    assert plan_image(5000, 4000, 4, 1024 * MiB) is None  # 1.28 GB of buffers alone


def test_plan_counts_the_in_graph_pad_of_a_padded_export():
    # a 32-px pad runs the network on (w + 64) x (h + 64); the buffers stay the image's own size
    assert plan_image(100, 60, 4, 64 * MiB, pad=32) == Plan(None, 64 * 100 * 60 + 2048 * 164 * 124)
    # 2000 x 2000 in 1 GiB: the unpadded tile side 631 less 2 x 32 = 567 -> 564
    plan = plan_image(2000, 2000, 4, 1024 * MiB, pad=32)
    assert plan == Plan(564, BUFFER_BYTES_PER_PIXEL * 2000 * 2000 + NETWORK_BYTES_PER_PIXEL * 628 * 628)
    assert plan.need <= 1024 * MiB


class _Spy:
    """A model that records the sides it is fed (identity on [0, 1])."""

    def __init__(self, info) -> None:
        self.info = info
        self.sides: list[tuple[int, int]] = []

    def __call__(self, batch):
        self.sides.append(batch.shape[-2:])
        return batch


def test_large_images_run_tiled_and_too_large_ones_get_413(pool):
    spy = _Spy(pool.get("mosaic", None, "stylize").info)
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (400, 600, 3), dtype=np.uint8))
    out = run_model(spy, image, share=64 * MiB)
    tile = plan_image(600, 400, 4, 64 * MiB).tile
    assert tile == 156 and set(spy.sides) == {(156, 156)}
    assert np.abs(np.asarray(out, dtype=int) - np.asarray(image, dtype=int)).max() <= 1  # identity kept

    spy.sides.clear()
    run_model(spy, image, share=1024 * MiB)
    assert spy.sides == [(400, 600)]  # fits: whole image, as `i2i translate` runs it

    padded = _Spy(dataclasses.replace(spy.info, input_pad=32))  # tiles shrink by the border's pixels
    run_model(padded, image, share=64 * MiB)
    assert set(padded.sides) == {(92, 92)} == {(plan_image(600, 400, 4, 64 * MiB, pad=32).tile,) * 2}

    with pytest.raises(ServeError) as caught:
        run_model(spy, Image.new("RGB", (4000, 4000)), share=64 * MiB)
    assert caught.value.status == 413
    assert str(caught.value) == (
        "image too large for this server's memory: 4000x4000 needs at least 979 MiB, "
        "each request may use 64 MiB (--max-memory / --workers)"
    )


def test_served_image_over_the_share_is_tiled_and_keeps_its_size(pool):
    settings = ServeSettings(port=0, workers=1, max_memory=64 * MiB)
    with running(settings, pool) as url:
        reply = call(f"{url}/v1/stylize?model=mosaic&format=png", image_bytes((600, 400)))
        assert reply.status == 200, reply.body[:200]
        assert Image.open(io.BytesIO(reply.body)).size == (600, 400)
        flat = io.BytesIO()
        Image.new("RGB", (4000, 4000), (40, 90, 200)).save(flat, "PNG")  # 16 MP in a small file
        big = call(f"{url}/v1/stylize?model=mosaic", flat.getvalue())
        assert big.status == 413 and big.detail.startswith("image too large for this server's memory")


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {key} in /proc/{pid}/status")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to read peak RSS")
def test_1_megapixel_upload_to_starry_stays_within_max_memory(tmp_path):
    """A 1000x1000 photo whole would take about 1.4 GiB in starry (~1.4 KiB a pixel with onnxruntime); with
    --max-memory 256 the server must run it in tiles and stay within 256 MiB (measured: 114 MiB above the
    warm baseline). The same property at 2000x2000 and 1024 MiB costs five times the compute."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    args = ["--models", "starry", "--port", str(port), "--workers", "1", "--max-memory", "256"]
    args += ["--threads", "2", "--timeout", "900"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "i2i.serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                if call(f"{url}/health", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        call(f"{url}/v1/stylize?model=starry", image_bytes((64, 64)))  # warm up: sessions allocate once
        base = _status_kib(proc.pid, "VmRSS")
        reply = call(f"{url}/v1/stylize?model=starry&format=png", image_bytes((1000, 1000)), timeout=600)
        assert reply.status == 200, reply.body[:200]
        peak = _status_kib(proc.pid, "VmHWM")
        after = _status_kib(proc.pid, "VmRSS")
    finally:
        stop_server(proc)
    print(f"baseline {base / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB, after {after / 1024:.0f} MiB")
    assert peak - base <= 256 * 1024  # KiB: within --max-memory (the request body comes on top)
    assert after - base <= 64 * 1024  # memory went back (measured: 6 MiB)
