"""sha256 pins for downloads whose publishers give no checksum (datasets, official generators).

Trust on first use, like an SSH ``known_hosts`` file: the first download of an archive records its sha256
in a lock file; every later download of the same archive must match it, so a changed or tampered file on
the server (or on the way) is refused instead of used. A pin given by the user (``--sha256``) is checked
on the first download too and then recorded.

The lock file is JSON, ``{"schema_version": 1, "pins": {KEY: {"sha256", "url", "recorded", ...}}}``, at
``$I2I_SHA256_LOCK`` or ``$XDG_DATA_HOME/i2i/sha256.lock`` (``~/.local/share/i2i/sha256.lock``). Keys name
what was pinned: ``dataset:facades``, ``official:cyclegan/apple2orange``. Writes are atomic.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from i2i.errors import I2IError
from i2i.files import atomic_output, sha256_file
from i2i.user_dirs import env_path, user_data_dir

LOCK_ENV = "I2I_SHA256_LOCK"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


def lock_path() -> Path:
    """``$I2I_SHA256_LOCK``, else ``$XDG_DATA_HOME/i2i/sha256.lock`` (``~/.local/share`` when unset)."""
    return env_path(LOCK_ENV) or user_data_dir("sha256.lock")


def check_sha256_text(value: str) -> str:
    """``value`` lower-cased if it is 64 hex digits, else I2IError."""
    text = value.strip().lower()
    if not _SHA256.fullmatch(text):
        raise I2IError(f"--sha256 must be 64 hex digits, got {value!r}")
    return text


def read_pins() -> dict[str, dict[str, Any]]:
    """Every pin in the lock file ({} when there is none)."""
    path = lock_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise I2IError(f"{path}: unreadable sha256 lock file ({err}); move it away to start afresh") from None
    pins = data.get("pins") if isinstance(data, dict) else None
    if not isinstance(pins, dict):
        raise I2IError(f"{path}: not an i2i sha256 lock file (no 'pins' table)")
    return pins


def get_pin(key: str) -> dict[str, Any] | None:
    """The record pinned under ``key``, if any."""
    return read_pins().get(key)


def write_pin(key: str, record: dict[str, Any]) -> None:
    """Set ``key``'s record (atomic rewrite of the lock file)."""
    path = lock_path()
    pins = read_pins()
    pins[key] = record
    with atomic_output(path, "w", encoding="utf-8") as fh:
        json.dump({"schema_version": 1, "pins": pins}, fh, indent=2, sort_keys=True)
        fh.write("\n")


def verify_download(
    key: str,
    path: Path,
    url: str,
    pinned: str | None = None,
    on_first_use: Callable[[str], None] | None = None,
    **extra: Any,
) -> str:
    """Check the downloaded ``path`` against ``pinned`` (``--sha256``) and the lock file's pin for ``key``;
    record the pin on first use and tell ``on_first_use`` in one line what was trusted. Returns the sha256.

    Raises:
        I2IError: the file's sha256 differs from ``pinned`` or from the recorded pin (the message names
            both sums and the lock file).
    """
    digest = sha256_file(path)
    if pinned is not None and digest != check_sha256_text(pinned):
        raise I2IError(f"{url}: sha256 {digest} does not match --sha256 {pinned}; the download was removed")
    record = get_pin(key)
    if record is not None and record.get("sha256") != digest:
        raise I2IError(
            f"{url}: sha256 {digest} differs from {record.get('sha256')} recorded on "
            f"{record.get('recorded', '?')} in {lock_path()} (the file changed on the server or on the way); "
            "the download was removed - if the change is expected, pass --sha256 with the new sum after "
            f"removing the '{key}' entry"
        )
    if record is None:
        today = dt.datetime.now(dt.UTC).date().isoformat()
        write_pin(key, {"sha256": digest, "url": url, "recorded": today, **extra})
        if on_first_use is not None:
            how = "matched --sha256" if pinned is not None else "trusted on first use"
            recorded = f"recorded in {lock_path()}; later downloads must match"
            on_first_use(f"{key}: sha256 {digest} of {url} {how}, {recorded}")
    return digest
