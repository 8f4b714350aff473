"""Read a video clip with PyAV: what it is (:class:`VideoInfo`) and its frames and audio packets in file
order (:func:`read_clip`).

Frames come out as they are coded: uint8 RGB (H, W, 3) at the coded size (or at a requested smaller work
size, scaled by FFmpeg's swscale with area averaging), with their presentation timestamp in the stream's
time base. The display rotation stays metadata (:attr:`Frame.rotation`), as it does in the file:
frames are not turned, and the encoder writes the same rotation back. Audio packets are handed over
undecoded, to be remuxed as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from i2i.batch import one_line
from i2i.errors import I2IError
from i2i.video.extra import import_av


@dataclass(frozen=True)
class VideoInfo:
    """A clip's first video stream.

    ``width`` x ``height``: coded size in pixels; ``rate``: average frame rate (frames/s, exact fraction);
    ``time_base``: seconds per timestamp unit; ``frames``: the frame count the container states, else
    one estimated from the duration (0: unknown); ``codec``: the decoder's name; ``audio``:
    the number of audio streams (copied as they are); ``indexed``: the container has no presentation
    timestamps of its own (AVI), so frames are written one frame period apart. ``colorspace`` (the YUV
    matrix), ``color_primaries``, ``color_trc`` and ``color_range``: the stream's colour tags as FFmpeg
    numbers them (AVColorSpace, AVColorPrimaries, AVColorTransferCharacteristic, AVColorRange; 2, 2, 2
    and 0 when unspecified), written back by the encoder.
    """

    width: int
    height: int
    rate: Fraction
    time_base: Fraction
    frames: int
    codec: str
    audio: int
    indexed: bool = False
    colorspace: int = 2
    color_primaries: int = 2
    color_trc: int = 2
    color_range: int = 0

    def describe(self) -> str:
        """``640x272 25 fps h264, 250 frames, audio`` for messages."""
        fps = f"{float(self.rate):.3g} fps"
        audio = ", audio" if self.audio else ""
        return f"{self.width}x{self.height} {fps} {self.codec}, {self.frames or '?'} frames{audio}"


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``rgb`` uint8 (H, W, 3); ``pts`` in the stream's time base (None: unknown);
    ``index`` from 0 in presentation order; ``rotation``: its display rotation in whole degrees
    (counter-clockwise, as FFmpeg reports it from the stream's display matrix; 0 when none)."""

    rgb: Any
    pts: int | None
    index: int
    rotation: int = 0


def open_clip(path: Path) -> tuple[Any, VideoInfo]:
    """Open ``path`` with PyAV; returns ``(container, info)``. The caller closes the container.

    Raises:
        I2IError: PyAV is missing, the file cannot be opened or has no video stream (one-line reason).
    """
    av = import_av()
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as err:
        raise I2IError(f"{path}: cannot read video ({_reason(err)})") from None
    try:
        if not container.streams.video:
            raise I2IError(f"{path}: no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if not ctx.width or not ctx.height:
            raise I2IError(f"{path}: video stream without a frame size (cannot decode)")
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        time_base = stream.time_base or Fraction(1, 90000)
        frames = stream.frames
        if not frames and stream.duration:
            frames = round(float(stream.duration * time_base * rate))
        elif not frames and container.duration:
            frames = round(container.duration / 1_000_000 * float(rate))
        info = VideoInfo(
            width=ctx.width,
            height=ctx.height,
            rate=Fraction(rate),
            time_base=Fraction(time_base),
            frames=int(frames or 0),
            codec=ctx.name,
            audio=len(container.streams.audio),
            indexed=container.format.name == "avi",
            colorspace=int(ctx.colorspace or 2),
            color_primaries=int(ctx.color_primaries or 2),
            color_trc=int(ctx.color_trc or 2),
            color_range=int(ctx.color_range or 0),
        )
    except BaseException:
        container.close()
        raise
    return container, info


def read_clip(container: Any, size: tuple[int, int] | None = None) -> Iterator[Frame | Any]:
    """The clip's video frames (:class:`Frame`) and audio packets (``av.Packet``), in file order.

    ``size``: (width, height) to scale frames to (area averaging); None keeps the coded size.

    Raises:
        I2IError: a packet that cannot be decoded (the reason in one line).
    """
    av = import_av()
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    scale: dict[str, Any] = {}
    if size is not None and size != (stream.codec_context.width, stream.codec_context.height):
        scale = {"width": size[0], "height": size[1], "interpolation": "AREA"}
    index = 0
    try:
        for packet in container.demux(stream, *container.streams.audio):
            if packet.stream.type == "audio":
                if packet.dts is not None and packet.size:
                    yield packet
                continue
            for frame in packet.decode():
                rgb = frame.to_ndarray(format="rgb24", **scale)
                yield Frame(rgb, frame.pts, index, round(frame.rotation or 0))
                index += 1
    except av.FFmpegError as err:
        raise I2IError(f"cannot decode frame {index}: {_reason(err)}") from None
    if index == 0:
        raise I2IError("no frame could be decoded")


def _reason(err: BaseException) -> str:
    """FFmpeg's words for an error (``Invalid data found when processing input``), without the errno and
    the file name PyAV adds."""
    return one_line(getattr(err, "strerror", None) or err)
