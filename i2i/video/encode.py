"""Write a translated clip with PyAV, atomically: the input's size (an odd width or height padded to even
for yuv420p), frame rate, timestamps, rotation and
audio packets, in a hidden temporary file in the output folder that is renamed over the target only when
the clip is complete (:func:`i2i.files.atomic_output`). An exception or Ctrl-C anywhere before that leaves
no partial file.

Codecs: ``auto`` is H.264 (libx264) for .mp4 .mov .mkv .avi and VP9 for .webm; ``h264``, ``h265``
(``hevc``), ``vp9``, ``av1``, ``mpeg4``, or any FFmpeg encoder name. Quality-based rate control (CRF 18
for x264/x265, 30 for VP9/AV1: visually close to the frames given).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np

from i2i.batch import one_line
from i2i.errors import I2IError
from i2i.files import atomic_output
from i2i.video.decode import VideoInfo
from i2i.video.extra import import_av

#: Container format by output suffix.
CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".avi": "avi", ".webm": "webm"}
#: Codec option value -> FFmpeg encoders tried in order (the first one this PyAV build has).
CODECS = {
    "h264": ("libx264", "libopenh264", "h264"),
    "h265": ("libx265", "hevc"),
    "hevc": ("libx265", "hevc"),
    "vp9": ("libvpx-vp9",),
    "av1": ("libsvtav1", "libaom-av1", "librav1e"),
    "mpeg4": ("mpeg4",),
}
#: FFmpeg's AVColorSpace (a stream's YUV matrix tag) -> swscale's name for the matrix; others (unspecified,
#: RGB, ...) convert with BT.601, as the decoder reads them.
_MATRIX = {1: "itu709", 4: "fcc", 5: "itu601", 6: "smpte170m", 7: "smpte240m", 9: "bt2020", 10: "bt2020"}
_CRF = {"libx264": "18", "libx265": "18", "libvpx-vp9": "30", "libsvtav1": "30", "libaom-av1": "30"}


def encoder_name(codec: str, suffix: str) -> str:
    """The FFmpeg encoder for ``--codec`` ``codec`` and an output file ending in ``suffix``.

    Raises:
        I2IError: the codec is unknown or not in this PyAV build (the available choices named).
    """
    av = import_av()
    key = codec.strip().lower()
    if key == "auto":
        key = "vp9" if suffix.lower() == ".webm" else "h264"
    candidates = CODECS.get(key, (key,))
    for name in candidates:
        if name in av.codecs_available:
            try:
                if av.Codec(name, "w").type == "video":
                    return name
            except (av.FFmpegError, ValueError):  # a decoder-only name
                continue
    known = [k for k, names in CODECS.items() if any(n in av.codecs_available for n in names)]
    raise I2IError(f"--codec {codec}: no such video encoder in this PyAV build; try {', '.join(known)}")


def even_size(width: int, height: int) -> tuple[int, int]:
    """The encoded size for a ``width`` x ``height`` clip: each rounded up to even (4:2:0 chroma)."""
    return width + width % 2, height + height % 2


def _pad_even(rgb: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) padded to even H and W by repeating the last row / column."""
    h, w = rgb.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


class VideoWriter:
    """``with VideoWriter(target, info, codec, audio) as w: w.write(rgb, pts); w.mux(packet)``.

    ``info``: the input clip (size, rate, time base); ``audio``: its audio streams, copied as they are;
    ``write`` takes uint8 (H, W, 3) RGB (scaled to the input size by swscale when it is another size)
    and a timestamp in the input's time base (None, or not after the previous one: one frame after the
    previous timestamp, so the output's timestamps always increase). Audio
    packets given before the first frame are kept until it is written (the display rotation of the first
    frame goes into the header). The target appears only when the block ends without an exception.
    """

    def __init__(
        self, target: Path, info: VideoInfo, codec: str = "auto", audio: tuple[Any, ...] = ()
    ) -> None:
        self.av = import_av()
        self.target, self.info = Path(target), info
        fmt = CONTAINERS.get(self.target.suffix.lower())
        if fmt is None:
            raise I2IError(f"{target}: cannot write video with suffix {self.target.suffix!r}")
        self.format, self.encoder = fmt, encoder_name(codec, self.target.suffix)
        self.audio_in = audio
        self.frames = 0
        self._stack = contextlib.ExitStack()
        self._pending: list[Any] = []
        self._started = False
        self._last: int | None = None

    def __enter__(self) -> VideoWriter:
        av, info = self.av, self.info
        try:
            fh = self._stack.enter_context(atomic_output(self.target, "wb"))
            self.container = av.open(fh, "w", format=self.format)
            self._stack.callback(self.container.close)
            stream = self.container.add_stream(self.encoder, rate=info.rate)
            # yuv420p for every encoder (what browsers and players take), so an odd size is padded to
            # the next even one by repeating the last column / row (see _pad_even)
            stream.width, stream.height = self.size = even_size(info.width, info.height)
            stream.pix_fmt = "yuv420p"
            ctx = stream.codec_context  # the input's colour tags; the frames are converted to match
            if info.colorspace in _MATRIX:
                ctx.colorspace = info.colorspace
            if info.color_primaries != 2:
                ctx.color_primaries = info.color_primaries
            if info.color_trc != 2:
                ctx.color_trc = info.color_trc
            if info.color_range:
                ctx.color_range = info.color_range
            # AVI has no timestamps, only a frame rate that is 1 / time base: one tick a frame, frame
            # index as pts, and no B-frames (their reordering cannot be stored)
            self.time_base = 1 / info.rate if self.format == "avi" else info.time_base
            stream.time_base = self.time_base
            stream.codec_context.time_base = self.time_base
            options = {"bf": "0"} if self.format == "avi" else {}
            if self.encoder in _CRF:
                options |= {"crf": _CRF[self.encoder], **({"b": "0"} if "vp9" in self.encoder else {})}
            stream.options = options
            self.video = stream
            self.audio = {s.index: self.container.add_stream_from_template(s) for s in self.audio_in}
        except BaseException as err:
            self._stack.__exit__(type(err), err, err.__traceback__)
            if isinstance(err, av.FFmpegError | ValueError):
                raise I2IError(f"{self.target}: cannot write video ({one_line(err)})") from None
            raise
        return self

    def write(self, rgb: np.ndarray, pts: int | None = None, rotation: int = 0) -> None:
        """Encode one frame (uint8 (H, W, 3) RGB); ``rotation`` of the first frame goes into the header."""
        av, info = self.av, self.info
        if not self._started:
            if rotation:
                self.video.set_display_rotation(rotation)
            self._started = True
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        if (frame.width, frame.height) != (info.width, info.height):
            frame = frame.reformat(width=info.width, height=info.height, interpolation="BICUBIC")
        if (frame.width, frame.height) != self.size:  # odd input size: pad to the even stream size
            frame = av.VideoFrame.from_ndarray(_pad_even(frame.to_ndarray(format="rgb24")), format="rgb24")
        frame = frame.reformat(  # RGB -> YUV with the input's matrix and range (the decoder used them)
            format="yuv420p",
            dst_colorspace=_MATRIX.get(info.colorspace, "itu601"),
            dst_color_range="JPEG" if info.color_range == 2 else "MPEG",
        )
        frame.colorspace = info.colorspace if info.colorspace in _MATRIX else 2
        frame.color_range = info.color_range
        step = max(1, round(1 / (info.rate * self.time_base)))  # one frame in time-base units
        if pts is None or info.indexed or self.format == "avi":  # AVI: a constant rate, frame by frame
            pts = self.frames * step
        if self._last is not None and pts <= self._last:  # e.g. .avi, whose decoded order lacks true pts
            pts = self._last + step
        frame.pts, frame.time_base, self._last = pts, self.time_base, pts
        for packet in self.video.encode(frame):
            self.container.mux(packet)
        self.frames += 1
        if self._pending:
            pending, self._pending = self._pending, []
            for packet in pending:
                self.mux(packet)

    def mux(self, packet: Any) -> None:
        """Copy one audio packet of the input into the output as it is."""
        if not self._started:
            self._pending.append(packet)
            return
        packet.stream = self.audio[packet.stream_index]
        self.container.mux(packet)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if kind is None:
            try:
                if not self._started:
                    raise I2IError(f"{self.target}: no frame to write")
                for packet in self.video.encode():
                    self.container.mux(packet)
            except BaseException as err:
                self._stack.__exit__(type(err), err, err.__traceback__)
                if isinstance(err, self.av.FFmpegError):
                    raise I2IError(f"{self.target}: cannot write video ({one_line(err)})") from None
                raise
        self._stack.__exit__(kind, exc, tb)
