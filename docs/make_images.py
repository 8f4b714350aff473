"""Regenerate the README's pictures of the shipped models from the files in weights/.

Each picture is a grid of bundled samples (one row) over what a shipped model makes of them (the next
row), 256 px per tile, run through onnxruntime in float32, so the pictures do not depend on whether the CPU
has bf16. They are not byte-identical across CPUs: onnxruntime's fp32 kernels differ by instruction set,
and on an AVX2-only machine a few pixels of the committed pictures (made with AVX-512) come out up to 2 grey
levels different for the pix2pix model and up to 19 for the fast-style one; commit them only when a model
changes:

    python docs/make_images.py            # writes docs/images/{demo_facades,apple2orange_shipped,
                                          #   starry_fast_style_apples}.jpg

It runs the `i2i` command line exactly as a user would (`i2i translate -m NAME`, `i2i stylize --model
NAME`) in a scratch folder and only assembles the outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "i2i" / "assets" / "samples"
IMAGES = ROOT / "docs" / "images"
TILE = 256

#: picture file -> rows of (bundled sample folder, model name or None for the inputs, command)
PICTURES: dict[str, list[tuple[str, str | None, str]]] = {
    "demo_facades.jpg": [
        ("facades_labels", None, ""),
        ("facades_labels", "facades_label2photo", "translate"),
    ],
    "apple2orange_shipped.jpg": [
        ("apples", None, ""),
        ("apples", "apple2orange", "translate"),
        ("oranges", None, ""),
        ("oranges", "orange2apple", "translate"),
    ],
    "starry_fast_style_apples.jpg": [
        ("apples", None, ""),
        ("apples", "starry", "stylize"),
    ],
}

EXACT = ["--runtime", "onnxruntime", "--precision", "fp32"]


def run_model(command: str, model: str, samples: Path, out: Path) -> None:
    """Run one shipped model over a bundled sample folder with the `i2i` command line."""
    if command == "translate":
        args = ["translate", "-m", model, str(samples), str(out), "--format", "png", "--no-progress"]
    else:
        args = ["stylize", "--model", model, *sorted(map(str, samples.iterdir())), "-o", str(out)]
    env = {**os.environ, "I2I_RUNTIME": "onnxruntime"}
    subprocess.run([sys.executable, "-m", "i2i.cli.main", *args, *EXACT], check=True, env=env)


def row_images(folder: Path) -> list[Image.Image]:
    """The images of a folder in name order (stem order, so outputs line up with inputs), as tiles."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg"}]
    files.sort(key=lambda p: p.stem)
    return [Image.open(p).convert("RGB").resize((TILE, TILE), Image.Resampling.LANCZOS) for p in files]


def make_picture(name: str, rows: list[tuple[str, str | None, str]], scratch: Path) -> Path:
    """Assemble one picture: each row is a sample folder or a model's outputs for it."""
    grid_rows = []
    for samples, model, command in rows:
        folder = SAMPLES / samples
        if model is not None:
            out = scratch / f"{model}-{samples}"
            run_model(command, model, folder, out)
            folder = out
        grid_rows.append(row_images(folder))
    width = max(len(r) for r in grid_rows) * TILE
    canvas = Image.new("RGB", (width, len(grid_rows) * TILE), "white")
    for y, images in enumerate(grid_rows):
        for x, image in enumerate(images):
            canvas.paste(image, (x * TILE, y * TILE))
    target = IMAGES / name
    canvas.save(target, quality=90)
    return target


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in PICTURES.items():
            print(make_picture(name, rows, Path(tmp)))


if __name__ == "__main__":
    main()
