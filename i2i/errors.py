"""The one error type users see.

Anything that is the user's input's fault (a bad path, an unreadable image, an unknown name, a file from a
newer format) raises :class:`I2IError` with a message that fits on one line. The CLI prints it as one line
and exits non-zero; other exceptions are bugs and show a traceback.
"""


class I2IError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class ImageReadError(I2IError):
    """An image file that cannot be decoded (missing, truncated, not an image)."""
