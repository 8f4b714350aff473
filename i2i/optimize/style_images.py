"""Style images by path or by the name of a bundled public-domain painting (``i2i/assets/styles``).

Torch-free. ``--style starry`` and ``--style starry_night`` name the bundled copy; any existing file path
is used as is. The returned tag (for output names such as ``photo.starry.png``) is the name given, or the
file's stem.
"""

from __future__ import annotations

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


def resolve_style(spec: str) -> tuple[Path, str]:
    """(path, tag) for a style given as a file path or a bundled name.

    Raises:
        I2IError: neither an existing file nor a bundled name (the message lists the names).
    """
    path = Path(spec).expanduser()
    if path.is_file():
        return path, path.stem
    styles = bundled_styles()
    if spec in styles:
        return styles[spec], spec
    if path.suffix or "/" in spec:
        raise I2IError(f"{spec}: no such style image")
    names = ", ".join(sorted(styles))
    raise I2IError(f"unknown style {spec!r}: not a file, and not a bundled style ({names})")
