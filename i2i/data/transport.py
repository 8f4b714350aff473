"""Which URLs i2i downloads from: https only, unless the user says otherwise (torch-free).

Datasets and the authors' generators come without published checksums, so the only protection of a first
download is TLS (later downloads must also match the sha256 recorded on first use, :mod:`i2i.pins`). An
``http://``, ``ftp://`` or ``file://`` URL, from ``--base-url``, ``$I2I_DATASET_BASE_URL`` or
``$I2I_OFFICIAL_BASE_URL``, or reached through a redirect from an https one, is therefore refused unless
``--insecure`` (or ``$I2I_INSECURE_DOWNLOADS=1``) accepts it; an accepted one is announced in one line.
Loopback addresses get no exception: a local mirror over http needs the flag as well.
"""

from __future__ import annotations

import os
import urllib.request
from urllib.parse import urlsplit

from i2i.errors import I2IError

INSECURE_ENV = "I2I_INSECURE_DOWNLOADS"
_TRUE = {"1", "true", "yes", "on"}


def insecure_allowed(insecure: bool | None = None) -> bool:
    """``insecure`` when given, else whether ``$I2I_INSECURE_DOWNLOADS`` is set to 1/true/yes/on."""
    if insecure is not None:
        return insecure
    return os.environ.get(INSECURE_ENV, "").strip().lower() in _TRUE


def _refusal(url: str, how: str) -> str:
    return (
        f"{how}: refused, not https: the file could be changed on the way and nothing would notice; use an "
        f"https mirror, or --insecure (or {INSECURE_ENV}=1) to download it anyway, checked only against a "
        "sha256 pin (--sha256, or the one recorded by an earlier download)"
    )


def check_transport(url: str, insecure: bool) -> str | None:
    """None for an https ``url``; for any other scheme the one-line warning to show when ``insecure``.

    Raises:
        I2IError: a non-https ``url`` without ``insecure``.
    """
    if urlsplit(url).scheme.lower() == "https":
        return None
    if not insecure:
        raise I2IError(_refusal(url, url))
    return f"--insecure: downloading {url} without TLS; only a sha256 pin protects it"


class _RedirectPolicy(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but not from https to another scheme unless insecure downloads are allowed."""

    def __init__(self, insecure: bool) -> None:
        super().__init__()
        self.insecure = insecure

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not self.insecure and urlsplit(newurl).scheme.lower() != "https":
            raise I2IError(_refusal(newurl, f"{req.full_url} redirected to {newurl}"))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def opener(insecure: bool) -> urllib.request.OpenerDirector:
    """A urllib opener whose redirects keep to https unless ``insecure``."""
    return urllib.request.build_opener(_RedirectPolicy(insecure))
