"""Is paired (pix2pix) data what it claims to be? Checked from image headers before a run starts (torch-free).

Pix2pix data comes in one of two layouts:

- **A|B side by side**: one file per pair, A in the left half and B in the right, so each file is twice as
  wide as it is high (facades 512x256, maps 1200x600), in ``train/`` (and ``val/`` or ``test/``) or in one
  folder;
- **two folders** ``A/`` and ``B/`` (each optionally split into ``train/`` and ``val/``) holding the two
  sides of every pair under the same name (``A/x.jpg`` <-> ``B/x.png``).

A folder of ordinary photos (4:3, 3:2, 16:9, square) given as side-by-side data would otherwise train as if
each photo's left half translated into its right half. Reading a header costs about a tenth of a
millisecond, so a whole folder is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from i2i.errors import I2IError

#: The accepted layouts in one line, for messages.
PAIRED_LAYOUTS = (
    "A|B pairs side by side, each file twice as wide as high with A on the left (in train/ and val/, or in "
    "one folder), or two folders A/ and B/ holding the two sides under the same names"
)


def header(path: Path) -> tuple[int, int, int] | None:
    """(width, height, channels) from ``path``'s header, or None when it cannot be read (the reader names
    such a file when its example is loaded)."""
    try:
        with Image.open(path) as im:
            return im.width, im.height, len(im.getbands())
    except Exception:  # unreadable or unidentified: reported by read_image later, with its reason
        return None


def _is_side_by_side(width: int, height: int) -> bool:
    return abs(width - 2 * height) <= 1  # an odd width loses its last column when split


def check_side_by_side(paths: Sequence[Path], folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Split ``paths`` into A|B images (twice as wide as high, within a pixel) and the others, which are
    returned as ``(path, reason)`` to skip.

    Raises:
        I2IError: most images are not side by side, so the folder does not hold A|B pairs; the message
            shows an example and the layouts that are accepted.
    """
    kept: list[Path] = []
    odd: list[tuple[Path, str]] = []
    for path in paths:
        size = header(path)
        if size is None or _is_side_by_side(size[0], size[1]):
            kept.append(path)
        else:
            odd.append((path, f"{size[0]}x{size[1]}, not an A|B pair (twice as wide as high)"))
    if odd and len(odd) * 2 >= len(paths):
        example, reason = odd[0]
        raise I2IError(
            f"{folder}: {len(odd)} of {len(paths)} images are not A|B pairs ({example.name} is "
            f"{reason.split(',')[0]}); pix2pix takes {PAIRED_LAYOUTS}"
        )
    return kept, odd


def pair_mismatches(pairs: Sequence[tuple[Path, Path]]) -> list[str]:
    """One line per pair whose two files differ in size or channel count (``a/1.png is 256x256 RGB, b/1.png
    is 512x512 L``): resizing hides a size difference but usually means the pair is wrong."""
    notes = []
    for a, b in pairs:
        ha, hb = header(a), header(b)
        if ha is None or hb is None or ha == hb:
            continue
        notes.append(
            f"{a} is {ha[0]}x{ha[1]} with {ha[2]} channel(s), {b} is {hb[0]}x{hb[1]} with {hb[2]} channel(s)"
        )
    return notes
