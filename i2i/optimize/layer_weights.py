"""``NAME[:WEIGHT],...`` layer specs, as `--layers` (dream) and `--style-layers` (stylize) take them
(torch-free)."""

from __future__ import annotations

from i2i.errors import I2IError


def parse_weighted_names(spec: str, example: str) -> dict[str, float]:
    """``"a:1.5, b"`` -> ``{"a": 1.5, "b": 1.0}`` (a bare name weighs 1; order kept).

    Raises:
        I2IError: a weight that is not a number, or no name at all (the message shows ``example``).
    """
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, weight = part.partition(":")
        try:
            weights[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise I2IError(f"bad layer weight in {part!r}: expected NAME or NAME:WEIGHT") from None
    if not weights:
        raise I2IError(f"no {example}")
    return weights
