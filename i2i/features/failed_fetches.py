"""Remember, for a while, that fetching a backbone's weights failed, so runs without a network do not try
(and time out) again on every start (torch-free).

A failure is recorded per weight source in ``<cache>/failed_fetches.json`` as ``{name: {"when": epoch
seconds, "reason": one line}}``; for :data:`RETRY_AFTER_S` after it the resolver skips the network for that
source and says so in one line. A success forgets it; ``i2i models fetch-backbones`` always retries. The
file is an optimisation only: when it cannot be read or written, every run tries the network as before.
"""

from __future__ import annotations

import time
from pathlib import Path

from i2i.files import read_json_cache, write_json_cache

RETRY_AFTER_S = 6 * 3600
_FILE = "failed_fetches.json"
_REASON_CHARS = 240


def short_reason(text: str, limit: int = _REASON_CHARS) -> str:
    """The first line of ``text``, cut to ``limit`` characters (a DNS error can run to 300)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _age(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def recent_failure(cache: Path, name: str, now: float | None = None) -> str | None:
    """One line saying that ``name``'s fetch failed recently and how to retry, or None."""
    record = read_json_cache(cache / _FILE).get(name)
    now = time.time() if now is None else now
    if not isinstance(record, dict) or not isinstance(record.get("when"), int | float):
        return None
    age = now - record["when"]
    if not 0 <= age < RETRY_AFTER_S:
        return None
    reason = record.get("reason", "?")
    return (
        f"network not tried: fetching failed {_age(age)} ago ({reason}); it is tried again after "
        f"{RETRY_AFTER_S // 3600} h, or now with `i2i models fetch-backbones {name}`"
    )


def remember_failure(cache: Path, name: str, reason: str, now: float | None = None) -> None:
    data = read_json_cache(cache / _FILE)
    data[name] = {"when": time.time() if now is None else now, "reason": short_reason(reason)}
    write_json_cache(cache / _FILE, data)


def forget_failure(cache: Path, name: str) -> None:
    data = read_json_cache(cache / _FILE)
    if data.pop(name, None) is not None:
        write_json_cache(cache / _FILE, data)
