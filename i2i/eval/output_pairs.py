"""Which finished image in a folder belongs to which photo (torch-free), for scoring images that another
command wrote (``i2i eval style --outputs``, and the reference images of ``--against``).

A photo ``PHOTOS/sub/name.jpg`` (relative path ``sub/name.jpg``) is matched, in ``OUT``, by

1. ``OUT/sub/name.<ext>``: what ``i2i translate`` and ``i2i stylize --model`` write (the relative path,
   the input's suffix or the ``--format``'s);
2. ``OUT/sub/name.<tag>.<ext>``: what ``i2i stylize --style <tag>`` writes (``<stem>.<tag>.png``);
3. only when neither exists and the photo is in a subfolder: ``OUT/name.<ext>`` or ``OUT/name.<tag>.<ext>``
   (``i2i stylize -o OUT`` writes every input's result flat into ``OUT``).

``<ext>`` is any image suffix. More than one candidate for a photo, one output claimed by two photos, or
none at all is an error naming the file. Outputs that no photo claims are ignored (``--limit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from i2i.errors import I2IError
from i2i.imageio import list_images


def pair_outputs(
    photos_root: Path, photos: Sequence[Path], outputs_root: Path, tag: str, flag: str = "--outputs"
) -> list[Path]:
    """One output file per photo, in the order of ``photos`` (files under ``photos_root``), by the rules of
    the module docstring; ``tag`` is the style's name as ``i2i stylize`` writes it (``starry``), ``flag``
    the option that named ``outputs_root`` (for the messages: ``--outputs``, ``--against``).

    Raises:
        I2IError: ``outputs_root`` is missing, is ``photos_root`` or lies inside it (its images would be
            counted as photos), holds no images, or a photo has no output, several, or shares one.
    """
    photos_root, outputs_root = Path(photos_root), Path(outputs_root)
    if not outputs_root.is_dir():
        raise I2IError(f"{outputs_root}: no such folder ({flag})")
    inside = photos_root.resolve()
    if outputs_root.resolve() == inside or inside in outputs_root.resolve().parents:
        raise I2IError(
            f"{outputs_root}: {flag} must be a folder outside --photos {photos_root} "
            "(its images would be scored as photos)"
        )
    found, _ = list_images(outputs_root)
    if not found:
        raise I2IError(f"{outputs_root}: no images found ({flag})")
    by_stem: dict[str, list[Path]] = {}
    for path in found:
        relative = PurePosixPath(path.relative_to(outputs_root).as_posix())
        by_stem.setdefault(str(relative.with_suffix("")), []).append(path)

    pairs: list[Path] = []
    claimed: dict[Path, Path] = {}
    for photo in photos:
        relative = PurePosixPath(photo.relative_to(photos_root).as_posix())
        stem = str(relative.with_suffix(""))
        tried = [stem, f"{stem}.{tag}"]
        candidates = [p for key in tried for p in by_stem.get(key, [])]
        if not candidates and relative.parent != PurePosixPath("."):
            tried += [relative.stem, f"{relative.stem}.{tag}"]
            candidates = [p for key in tried[2:] for p in by_stem.get(key, [])]
        if not candidates:
            looked = " or ".join(f"{outputs_root / key}.*" for key in tried)
            raise I2IError(f"{photo}: no output for this photo (looked for {looked})")
        if len(candidates) > 1:
            raise I2IError(
                f"{photo}: {len(candidates)} outputs match ({', '.join(map(str, candidates))}); keep one"
            )
        output = candidates[0]
        if output in claimed:
            raise I2IError(f"{output}: the output of both {claimed[output]} and {photo}")
        claimed[output] = photo
        pairs.append(output)
    return pairs
