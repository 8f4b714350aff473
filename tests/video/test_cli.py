"""`i2i translate` on a folder mixing images and clips, in a fresh interpreter, with the shipped
apple2orange model: one bad clip is one line, the rest is written; the video flags; the missing extra."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PIL import Image

from .conftest import av, packets

_RUNNER = """
import sys
for name in sys.argv[1].split(","):
    if name:
        sys.modules[name] = None  # as if not installed
from i2i.cli.main import run
sys.argv = ["i2i", *sys.argv[2:]]
run()
"""


def _i2i(*args: str, blocked: str = "") -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", _RUNNER, blocked, "translate", "-m", "apple2orange", "--no-progress", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_folder_with_images_and_clips(clip, tmp_path):
    source = clip("walk.mp4", frames=6, audio=True)
    Image.fromarray(np.full((20, 24, 3), 200, np.uint8)).save(tmp_path / "in" / "photo.png")
    (tmp_path / "in" / "broken.mov").write_bytes(b"not a movie")
    out = tmp_path / "out"
    proc = _i2i(str(tmp_path / "in"), str(out), "--format", "jpg")
    assert proc.returncode == 1, proc.stderr
    assert f"failed: {tmp_path / 'in' / 'broken.mov'}: cannot read video (" in proc.stdout + proc.stderr
    assert "2 translated, 0 skipped, 1 failed" in proc.stdout + proc.stderr
    assert "frames/s" in proc.stdout + proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["photo.jpg", "walk.mp4"]  # a clip keeps its container
    with av.open(str(out / "walk.mp4")) as result:
        assert result.streams.video[0].frames == 6 and len(result.streams.audio) == 1
    assert packets(out / "walk.mp4", "audio") == packets(source, "audio")


def test_video_flags_and_one_line_errors(clip, tmp_path):
    clip("a.webm", frames=3)
    clip("b.avi", frames=3)
    out = tmp_path / "out"
    proc = _i2i(str(tmp_path / "in" / "a.webm"), str(out), "--no-stabilise")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _i2i(str(tmp_path / "in" / "b.avi"), str(out), "--codec", "mpeg4")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with av.open(str(out / "a.webm")) as webm, av.open(str(out / "b.avi")) as avi:
        assert webm.streams.video[0].codec_context.name == "vp9"  # auto: VP9 in .webm, H.264 elsewhere
        assert (avi.streams.video[0].codec_context.name, avi.streams.video[0].frames) == ("mpeg4", 3)
    bad = _i2i(str(tmp_path / "in"), str(out / "2"), "--codec", "nonsense")
    assert bad.returncode == 1 and "--codec nonsense: no such video encoder" in bad.stdout + bad.stderr


def test_missing_video_extra_is_one_line(clip, tmp_path):
    clip("a.mp4", frames=2)
    proc = _i2i(str(tmp_path / "in"), str(tmp_path / "out"), blocked="av")
    assert proc.returncode == 1
    assert (
        'video clips need PyAV (av), which a plain `pip install i2i` leaves out: pip install "i2i[video]"'
        in (proc.stdout + proc.stderr)
    )
    assert "Traceback" not in proc.stderr
    no_cv2 = _i2i(str(tmp_path / "in"), str(tmp_path / "out"), blocked="cv2")
    assert no_cv2.returncode == 1 and "--no-stabilise" in no_cv2.stdout + no_cv2.stderr
