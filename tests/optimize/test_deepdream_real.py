"""DeepDream with the real ImageNet Inception-v3 (resolved through cache, download or the package index)."""

from __future__ import annotations

import pytest
import torch

from i2i.errors import I2IError
from i2i.optimize.deepdream import PRESETS, DreamConfig, dream


@pytest.fixture(scope="module")
def real_inception():
    from i2i.features.inception import load_inception_taps

    try:
        return load_inception_taps(list(PRESETS["chollet"]))
    except I2IError as err:
        pytest.skip(f"real Inception-v3 weights unavailable here: {err}")


def test_real_dream_objective_rises_and_keeps_the_size(real_inception, shared_data):
    from PIL import Image

    from i2i.imageio import to_float_chw

    img = Image.open(shared_data / "content" / "golden_gate.jpg").convert("RGB").resize((224, 168))
    x = torch.from_numpy(to_float_chw(img)).unsqueeze(0)
    losses: list[float] = []
    cfg = DreamConfig(octaves=1, steps=6, jitter=0)
    out = dream(
        real_inception, x, cfg, torch.Generator().manual_seed(0), lambda o, s, loss: losses.append(loss)
    )
    assert out.shape == x.shape
    assert losses == sorted(losses) and losses[-1] > 2 * losses[0]
