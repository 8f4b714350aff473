"""The optional ``video`` extra (PyAV for decoding and encoding, OpenCV for optical flow), imported when
a clip is met; a missing one is one :class:`~i2i.errors.I2IError` line naming the extra."""

from __future__ import annotations

from types import ModuleType

from i2i.errors import I2IError

#: How to install what video needs.
VIDEO_EXTRA = 'pip install "i2i[video]"'


def import_av() -> ModuleType:
    """The ``av`` module (PyAV). Raises I2IError naming the ``video`` extra when it is not installed."""
    try:
        import av
    except ModuleNotFoundError:
        raise I2IError(
            f"video clips need PyAV (av), which a plain `pip install i2i` leaves out: {VIDEO_EXTRA}"
        ) from None
    return av


def import_cv2() -> ModuleType:
    """The ``cv2`` module (OpenCV, for the stabiliser's optical flow). Raises I2IError naming the
    ``video`` extra (or --no-stabilise) when it is not installed."""
    try:
        import cv2
    except ModuleNotFoundError:
        raise I2IError(
            "the video stabiliser needs OpenCV (cv2), which a plain `pip install i2i` leaves out: "
            f"{VIDEO_EXTRA} (or translate without it: --no-stabilise)"
        ) from None
    return cv2
