"""sha256 verification of model files, checked once per file version (torch-free).

A successful check is remembered in a small JSON cache keyed by the file's resolved path and its
(size, mtime_ns), so translate start-up does not re-hash a 15 MB model on every run. A changed file (new
size or mtime) is hashed again. The cache is an optimisation only: unreadable or unwritable cache files are
ignored.
"""

from __future__ import annotations

from pathlib import Path

from i2i.errors import I2IError
from i2i.files import read_json_cache, sha256_file, write_json_cache
from i2i.zoo.entry import ModelEntry
from i2i.zoo.paths import verify_cache_path

_memo: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of ``path``, from the cache when its (size, mtime_ns) is unchanged, else hashed and cached."""
    resolved = path.resolve()
    st = resolved.stat()
    key = (str(resolved), st.st_size, st.st_mtime_ns)
    if key in _memo:
        return _memo[key]
    cache_file = verify_cache_path()
    cache = read_json_cache(cache_file)
    hit = cache.get(key[0])
    if (
        isinstance(hit, dict)
        and hit.get("size") == st.st_size
        and hit.get("mtime_ns") == st.st_mtime_ns
        and isinstance(hit.get("sha256"), str)
    ):
        _memo[key] = hit["sha256"]
        return hit["sha256"]
    digest = sha256_file(resolved)
    cache[key[0]] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
    write_json_cache(cache_file, cache)
    _memo[key] = digest
    return digest


def verify_file(path: Path, expected: str, label: str) -> Path:
    """``path`` if its sha256 is ``expected``.

    Raises:
        I2IError: the file is missing or its sha256 differs (corrupt, truncated or replaced).
    """
    if not path.is_file():
        raise I2IError(f"model {label!r}: file {path} is missing")
    got = file_sha256(path)
    if got != expected.lower():
        raise I2IError(
            f"model {label!r}: {path} has sha256 {got[:12]}..., the registry expects {expected[:12]}... "
            "(file corrupt or replaced; restore it or re-add the model)"
        )
    return path


def verify_int8(entry: ModelEntry) -> Path:
    """The entry's pinned int8 IR file (``.xml``) once it and its ``.bin`` match the registry's sha256.

    Raises:
        I2IError: the entry pins no int8 file, or a file is missing or differs.
    """
    if entry.int8 is None:
        raise I2IError(f"model {entry.name!r}: the registry pins no int8 file")
    label = f"{entry.name} (int8)"
    verify_file(entry.base / entry.int8.bin_file, entry.int8.bin_sha256, label)
    return verify_file(entry.base / entry.int8.file, entry.int8.sha256, label)


def clear_memo() -> None:
    """Forget in-process results (tests)."""
    _memo.clear()
