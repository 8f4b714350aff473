"""Plot the loss CSV written by `i2i stylize --losses-csv FILE` as PNG panels (log10 of each term).

python benchmarks/plot_style_losses.py losses.csv docs/images/tubingen_starry_losses.png
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

from i2i.train.visuals import plot_curves


def main() -> None:
    src, dest = Path(sys.argv[1]), Path(sys.argv[2])
    with open(src, newline="") as fh:
        rows = list(csv.DictReader(fh))
    records = [
        {
            "step": int(r["step"]),
            **{
                f"log10 {k}": math.log10(float(r[k]))
                for k in ("total", "content", "style")
                if float(r[k]) > 0
            },
        }
        for r in rows
    ]
    keys = ["log10 total", "log10 style", "log10 content"]
    plot_curves(dest, records, keys, title=f"Gatys L-BFGS losses ({src.name})", panel_size=(320, 200))
    print(dest)


if __name__ == "__main__":
    main()
