"""Style images by path or by the name of a bundled public-domain painting (``i2i/assets/styles``).

Torch-free. ``--style starry`` and ``--style starry_night`` name the bundled copy; any existing file path
is used as is, and a path that does not exist but whose stem names a bundled painting (``starry.jpg``)
uses that painting, with a one-line note. The returned tag (for output names such as
``photo.starry.png``) is the name given, or the file's stem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from i2i.errors import I2IError

STYLES_DIR = Path(__file__).resolve().parents[1] / "assets" / "styles"
ALIASES: dict[str, str] = {
    "starry": "starry_night",
    "scream": "the_scream",
    "wave": "great_wave",
    "kandinsky": "composition_vii",
    "turner": "shipwreck",
    "picabia": "udnie",
}


def bundled_styles() -> dict[str, Path]:
    """Name -> path of every bundled style image (file stems and their aliases)."""
    files = {p.stem: p for p in sorted(STYLES_DIR.glob("*.jpg"))}
    return {**files, **{alias: files[name] for alias, name in ALIASES.items() if name in files}}


def resolve_style(spec: str, on_note: Callable[[str], None] | None = None) -> tuple[Path, str]:
    """(path, tag) for a style given as a file path or a bundled name.

    ``on_note`` gets one line when a missing file's stem is taken as a bundled name.

    Raises:
        I2IError: neither an existing file nor a bundled name (the message lists the bundled names).
    """
    path = Path(spec).expanduser()
    if path.is_file():
        return path, path.stem
    styles = bundled_styles()
    if spec in styles:
        return styles[spec], spec
    if path.stem in styles and path.suffix:
        if on_note is not None:
            on_note(f"no file {spec}: using the bundled style {path.stem!r} ({styles[path.stem].name})")
        return styles[path.stem], path.stem
    names = ", ".join(sorted(styles))
    what = "no such style image" if path.suffix or "/" in spec else "not a file"
    raise I2IError(f"unknown style {spec!r}: {what}, and not a bundled style (bundled: {names})")
