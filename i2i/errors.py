"""The one error type users see.

Anything that is the user's input's fault (a bad path, an unreadable image, an unknown name, a file from a
newer format) raises :class:`I2IError` with a message that fits on one line. The CLI prints it as one line
and exits non-zero; other exceptions are bugs and show a traceback.
"""


class I2IError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class ImageReadError(I2IError):
    """An image file that cannot be decoded (missing, truncated, not an image)."""


class DownloadError(I2IError):
    """A file could not be fetched from its URL (network, DNS, HTTP status); ``url`` says which. Unlike a
    file that arrived and failed its checks, trying again later may succeed."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


def first_line(err: BaseException) -> str:
    """The first line of an exception's text (its type name when it has none): third-party libraries
    (onnxruntime, OpenVINO, NNCF, Ray, the exporter) raise multi-line reports."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def load_state_dict_reason(err: Exception) -> str:
    """The first mismatch that torch's ``load_state_dict`` error names (the line after its "Error(s) in
    loading state_dict for X:" heading), or the whole message when it has no such line."""
    lines = str(err).splitlines()
    return (lines[1].strip() if len(lines) > 1 else "") or str(err)
