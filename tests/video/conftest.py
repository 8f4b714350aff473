"""Tiny clips built with PyAV for the video tests: a textured pattern moving a pixel a frame, optionally
with an AAC audio stream and a display rotation."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av", reason="the video extra (PyAV) is not installed")
pytest.importorskip("cv2", reason="the video extra (OpenCV) is not installed")


def pattern(index: int, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """uint8 (H, W, 3): smooth blobs shifted ``index`` pixels right and down (flow is easy to find)."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs, ys = xs - index, ys - 0.5 * index
    r = 128 + 100 * np.sin(xs / 5.0) * np.cos(ys / 7.0)
    g = 128 + 100 * np.sin((xs + ys) / 9.0)
    b = 128 + 100 * np.cos(xs / 11.0 - ys / 4.0)
    return np.clip(np.stack([r, g, b], axis=2), 0, 255).astype(np.uint8)


def make_clip(
    path: Path,
    frames: int = 8,
    size: tuple[int, int] = (64, 48),
    rate: Fraction = Fraction(25),
    audio: bool = False,
    rotation: int = 0,
    pix_fmt: str = "yuv420p",
) -> Path:
    """Write an H.264 (VP9 for .webm) clip of ``frames`` :func:`pattern` frames (and, with ``audio``,
    0.5 s of a 440 Hz tone, mono AAC); an odd ``size`` needs ``pix_fmt`` yuv444p."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libvpx-vp9" if path.suffix == ".webm" else "libx264", rate=rate)
        video.width, video.height, video.pix_fmt = size[0], size[1], pix_fmt
        video.options = {"crf": "10"}
        if rotation:
            video.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = out.add_stream("aac", rate=8000)
            sound.layout = "mono"
        for i in range(frames):
            for packet in video.encode(av.VideoFrame.from_ndarray(pattern(i, size), format="rgb24")):
                out.mux(packet)
        if sound is not None:
            t = np.arange(4 * 1024, dtype=np.float32) / 8000
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for i in range(4):
                chunk = av.AudioFrame.from_ndarray(
                    tone[None, i * 1024 : (i + 1) * 1024], format="fltp", layout="mono"
                )
                chunk.sample_rate, chunk.pts = 8000, i * 1024
                for packet in sound.encode(chunk):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    return path


def read_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a clip as uint8 (H, W, 3) RGB."""
    with av.open(str(path)) as clip:
        return [frame.to_ndarray(format="rgb24") for frame in clip.decode(video=0)]


def packets(path: Path, kind: str) -> list[bytes]:
    """The payloads of a clip's ``kind`` ('audio' | 'video') packets, in order."""
    with av.open(str(path)) as clip:
        streams = [s for s in clip.streams if s.type == kind]
        return [bytes(p) for p in clip.demux(*streams) if p.size]


@pytest.fixture
def clip(tmp_path):
    """``clip(name, **make_clip options)`` -> the path of a new tiny clip under tmp_path/in."""
    return lambda name="clip.mp4", **kw: make_clip(tmp_path / "in" / name, **kw)
