"""The translate pipeline: sizes and modes kept, bad files reported, batching, skips, atomic writes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from i2i.runtime import TranslateOptions, TranslatorSession, collect_sources, plan_jobs, translate_jobs


@pytest.fixture
def inputs(tmp_path, make_image):
    root = tmp_path / "in"
    make_image(root / "rgb.jpg", (37, 29))
    make_image(root / "same1.png", (24, 20), seed=1)
    make_image(root / "same2.png", (24, 20), seed=2)
    make_image(root / "sub/gray.png", (20, 33), mode="L")
    make_image(root / "sub/rgba.png", (18, 18), mode="RGBA")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: stored 30 wide x 16 high, shown 16 x 30
    make_image(root / "sub/rotated.jpg", (30, 16), exif=exif.tobytes())
    good = (root / "same1.png").read_bytes()
    (root / "truncated.png").write_bytes(good[: len(good) // 2])
    (root / "garbage.jpg").write_bytes(b"\x00" * 100)
    return root


def _jobs(root, out, fmt="png"):
    sources, _ = collect_sources([str(root)])
    jobs, problems = plan_jobs(sources, out, fmt)
    assert problems == []
    return jobs


def test_folder_run(inputs, tmp_path, tiny_model):
    session = TranslatorSession(tiny_model.path, device="cpu")
    out = tmp_path / "out"
    seen = []
    summary = translate_jobs(
        session,
        _jobs(inputs, out),
        multiple=4,
        options=TranslateOptions(batch=2),
        on_result=lambda job, status, reason: seen.append((job.source.name, status)),
    )
    assert summary.done == 6 and summary.skipped == 0
    assert sorted((p.path.name, p.reason.split(" (")[0]) for p in summary.failures) == [
        ("garbage.jpg", "not a recognised image file"),
        ("truncated.png", "cannot decode image"),
    ]
    assert len(seen) == 8
    sizes = {p.relative_to(out).as_posix(): Image.open(p).size for p in out.rglob("*.png")}
    assert sizes == {
        "rgb.png": (37, 29),
        "same1.png": (24, 20),
        "same2.png": (24, 20),
        "sub/gray.png": (20, 33),
        "sub/rgba.png": (18, 18),
        "sub/rotated.png": (16, 30),
    }
    assert all(Image.open(p).mode == "RGB" for p in out.rglob("*.png"))
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temp files left

    again = translate_jobs(session, _jobs(inputs, out), multiple=4)
    assert again.skipped == 6 and again.done == 0 and len(again.failures) == 2


def test_batching_matches_single_images(inputs, tmp_path, tiny_model):
    session = TranslatorSession(tiny_model.path, device="cpu")
    one, four = tmp_path / "one", tmp_path / "four"
    translate_jobs(session, _jobs(inputs, one), multiple=4, options=TranslateOptions(batch=1, workers=1))
    translate_jobs(session, _jobs(inputs, four), multiple=4, options=TranslateOptions(batch=4, workers=3))
    for path in one.rglob("*.png"):
        a = np.asarray(Image.open(path), dtype=int)
        b = np.asarray(Image.open(four / path.relative_to(one)), dtype=int)
        assert np.abs(a - b).max() <= 1


def test_tiled_run_and_resize(inputs, tmp_path, local_model):
    session = TranslatorSession(local_model.path, device="cpu")
    out = tmp_path / "out"
    jobs = [j for j in _jobs(inputs, out, "webp") if j.source.name == "rgb.jpg"]
    summary = translate_jobs(session, jobs, multiple=4, options=TranslateOptions(tile=16, overlap=8, batch=3))
    assert summary.done == 1 and Image.open(out / "rgb.webp").size == (37, 29)
    resized = translate_jobs(session, jobs, multiple=4, options=TranslateOptions(resize=64, overwrite=True))
    assert resized.done == 1 and Image.open(out / "rgb.webp").size == (64, 50)


def test_failed_write_leaves_nothing_and_the_rest_complete(inputs, tmp_path, tiny_model, monkeypatch):
    session = TranslatorSession(tiny_model.path, device="cpu")
    out = tmp_path / "out"
    real_save = Image.Image.save

    def flaky_save(self, fp, format=None, **params):
        if self.size == (37, 29):
            fp.write(b"partial")
            raise OSError("disk full")
        return real_save(self, fp, format=format, **params)

    monkeypatch.setattr(Image.Image, "save", flaky_save)
    summary = translate_jobs(session, _jobs(inputs, out), multiple=4)
    assert summary.done == 5
    failed = {p.path.name: p.reason for p in summary.failures}
    assert "disk full" in failed["rgb.jpg"]
    assert not (out / "rgb.png").exists()
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_first_ctrl_c_finishes_what_was_read_and_stops(tmp_path, make_image):
    """The stop flag (set by the first Ctrl-C) ends reading: images already read are written, the rest are
    left out of the summary, and ``interrupted`` says so."""
    import os
    import signal

    from i2i.progress import StopControl

    root = tmp_path / "in"
    for i in range(12):
        make_image(root / f"{i:02d}.png", (8, 8), seed=i)
    out = tmp_path / "out"
    calls = []

    def infer(batch):
        calls.append(len(batch))
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends
        return batch

    with StopControl() as stop:
        summary = translate_jobs(
            infer, _jobs(root, out), multiple=1, options=TranslateOptions(workers=1), stop=stop
        )
    assert summary.interrupted and 1 <= summary.done < 12 and not summary.failures
    assert len(list(out.glob("*.png"))) == summary.done
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temp files left
