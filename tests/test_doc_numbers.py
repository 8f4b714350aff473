"""The shipped models' numbers in the README and docs/shipped_models.md are the registry's.

Each summary table row names a model (first cell, in backticks); every figure such a row quotes with a
known label (`KID 0.165`, `LPIPS 0.514`, `checkerboard 0.96x`, `0.63x (± 0.04) the untranslated ...
0.130`, `style left 5.41%`, `1.14x Gatys'`, `near-black 0.082%`) must equal that model's
`[models.NAME.quality]` entry in `weights/registry.toml`, rounded to the digits shown. A retrained model
whose registry entry changes then fails here until both tables say the new numbers.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REGISTRY = tomllib.loads((REPO / "weights" / "registry.toml").read_text())["models"]
NUMBER = r"(\d+(?:\.\d+)?)"
#: (pattern with one group per figure, the quality keys of those groups in order)
FIGURES = [
    (rf"\bKID {NUMBER}", ("KID",)),
    (rf"\bLPIPS {NUMBER}", ("LPIPS_vgg",)),
    (rf"checkerboard {NUMBER}x", ("checkerboard",)),
    (
        rf"{NUMBER}x \(± {NUMBER}\) the untranslated \w+'? {NUMBER}",
        ("KID_ratio", "KID_ratio_se", "untranslated_KID"),
    ),
    (rf"= {NUMBER}x the untranslated {NUMBER}", ("KID_ratio", "untranslated_KID")),
    (rf"style left {NUMBER}%", ("style_left_percent",)),
    (rf"{NUMBER}x Gatys'", ("style_left_vs_gatys",)),
    (rf"near-black {NUMBER}%", ("near_black_percent",)),
]


def table_rows(path: Path) -> list[tuple[str, str]]:
    """(model name, the rest of the row) for every table row whose first cell is a registry model."""
    rows = []
    for line in path.read_text().splitlines():
        match = re.match(r"\| `([\w-]+)`(.*)", line)
        if match and match.group(1) in REGISTRY:
            rows.append((match.group(1), match.group(2)))
    return rows


def quoted_figures(row: str) -> list[tuple[str, str]]:
    """(quality key, the figure as written) for every labelled figure in ``row``."""
    found = []
    for pattern, keys in FIGURES:
        for match in re.finditer(pattern, row):
            found += list(zip(keys, match.groups(), strict=True))
    return found


def matches(shown: str, value: float) -> bool:
    digits = len(shown.partition(".")[2])
    return abs(float(shown) - value) <= 0.5 * 10**-digits + 1e-9  # rounded either way at a tie


@pytest.mark.parametrize("doc", ["README.md", "docs/shipped_models.md"])
def test_shipped_model_tables_quote_the_registrys_numbers(doc: str) -> None:
    rows = table_rows(REPO / doc)
    assert {name for name, _ in rows} == set(REGISTRY), f"{doc}: a shipped model has no summary row"
    wrong = []
    for name, row in rows:
        figures = quoted_figures(row)
        assert figures, f"{doc}: the row of {name} quotes no figure this test knows"
        quality = REGISTRY[name].get("quality", {})
        for key, shown in figures:
            if key not in quality or not matches(shown, float(quality[key])):
                wrong.append(f"{name}: {key} {shown} in {doc}, registry {quality.get(key)}")
    assert not wrong, "\n".join(wrong)


def test_a_changed_number_is_caught() -> None:
    assert not matches("0.165", 0.162) and matches("0.63", 0.6304) and matches("0.96", 0.96)
    assert quoted_figures("KID 0.082, 0.63x (± 0.04) the untranslated apples' 0.130 | fails") == [
        ("KID", "0.082"),
        ("KID_ratio", "0.63"),
        ("KID_ratio_se", "0.04"),
        ("untranslated_KID", "0.130"),
    ]
