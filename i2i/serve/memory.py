"""Per-request memory: estimate what an image needs, run large ones tiled, give memory back afterwards.

At most ``workers`` requests run inference at once, so the service stays within ``--max-memory`` when each
running request stays within ``max_memory / workers`` (its *share*). A request's need is estimated from
its pixels:

- buffers that scale with the whole image (decoded RGB, float32 input and padded copy, the tiled blend's
  accumulators, the output image): :data:`BUFFER_BYTES_PER_PIXEL` per pixel;
- the network's activations, which scale with the pixels the network runs on at once (the whole image,
  or one tile, plus the reflection border an export with ``--pad`` adds inside the graph):
  :data:`NETWORK_BYTES_PER_PIXEL` per pixel, an upper bound for the shipped generators measured with
  onnxruntime on CPU (a 4 MP ``starry`` image peaked at ~1.4 KiB per pixel before tiling existed).

An image whose whole-image need fits the share runs whole (the same bytes as ``i2i translate``); a larger
one runs in the largest square tiles that fit (``i2i translate --tile``'s feathered blend); an image whose
buffers alone exceed the share is refused with 413. Giving memory back afterwards is
:mod:`i2i.serve.allocator`'s job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from i2i.modelfile import min_side
from i2i.runtime.tiling import round_up

BUFFER_BYTES_PER_PIXEL = 64
NETWORK_BYTES_PER_PIXEL = 2048
#: Tiles overlap by this many pixels (feathered blend, as ``i2i translate --overlap``).
TILE_OVERLAP = 32
#: Largest tile side worth using (bigger tiles gain nothing in quality).
MAX_TILE = 2048


@dataclass(frozen=True)
class Plan:
    """How to run one image: whole (``tile`` None) or in ``tile`` x ``tile`` windows; ``need``: bytes."""

    tile: int | None
    need: int


def plan_image(width: int, height: int, multiple: int, share: int, pad: int = 0) -> Plan | None:
    """The plan for a ``width`` x ``height`` image within ``share`` bytes, or None when even the smallest
    tile does not fit (the caller answers 413). ``pad``: the model's in-graph reflection border (pixels
    per side), which the network's activations include."""
    fed_w = round_up(max(width, min_side(multiple)), multiple)
    fed_h = round_up(max(height, min_side(multiple)), multiple)
    buffers = BUFFER_BYTES_PER_PIXEL * fed_w * fed_h
    whole = buffers + _network_bytes(fed_w, fed_h, pad)
    if whole <= share:
        return Plan(None, whole)
    room = share - buffers
    side = math.isqrt(max(room, 0) // NETWORK_BYTES_PER_PIXEL) - 2 * pad
    side = min(MAX_TILE, side - side % multiple)
    if side < _smallest_tile(multiple):
        return None
    return Plan(side, buffers + _network_bytes(side, side, pad))


def need_text(width: int, height: int, multiple: int, pad: int = 0) -> str:
    """Human form of the smallest need of an image (its buffers plus the smallest tile), for a 413."""
    smallest = _smallest_tile(multiple)
    need = BUFFER_BYTES_PER_PIXEL * width * height + _network_bytes(smallest, smallest, pad)
    return f"{need / 2**20:,.0f} MiB"


def _network_bytes(width: int, height: int, pad: int) -> int:
    return NETWORK_BYTES_PER_PIXEL * (width + 2 * pad) * (height + 2 * pad)


def _smallest_tile(multiple: int) -> int:
    return max(min_side(multiple), TILE_OVERLAP + multiple)
