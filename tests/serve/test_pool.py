"""The model pool and the settings: spec parsing, duplicates, lookups, validation (no server)."""

from __future__ import annotations

import pytest

from i2i.errors import I2IError
from i2i.serve.limits import ServeError
from i2i.serve.pool import ModelPool, split_spec
from i2i.serve.settings import ServeSettings


def test_split_spec_takes_only_a_direction_suffix():
    assert split_spec("horse2zebra:BtoA") == ("horse2zebra", "BtoA")
    assert split_spec("C:\\models\\x.onnx") == ("C:\\models\\x.onnx", None)
    assert split_spec("m.onnx") == ("m.onnx", None)


def test_duplicate_name_and_direction_is_refused(models):
    with pytest.raises(I2IError, match="two models named 'red2blue' \\(AtoB\\)"):
        ModelPool.load((str(models.a2b), str(models.a2b)), device="cpu")
    with pytest.raises(I2IError, match="translates AtoB, not BtoA"):
        ModelPool.load((f"{models.a2b}:BtoA",), device="cpu")
    with pytest.raises(I2IError, match="no models to serve"):
        ModelPool([])


def test_lookup_by_name_and_direction(pool, models):
    assert pool.get("red2blue", "BtoA", "translate").direction == "BtoA"
    assert pool.get("mosaic", None, "stylize").kind == "stylize"
    assert pool.get("mosaic", "AtoB", "stylize").name == "mosaic"  # no direction of its own: any fits
    one_way = ModelPool.load((str(models.a2b),), device="cpu")
    assert one_way.get("red2blue", None, "translate").direction == "AtoB"
    with pytest.raises(ServeError, match="model 'red2blue' has no direction BtoA") as err:
        one_way.get("red2blue", "BtoA", "translate")
    assert err.value.status == 404


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workers": 0}, "--workers must be >= 1"),
        ({"queue": -1}, "--queue >= 0"),
        ({"timeout": 0}, "must be positive"),
        ({"token": " "}, "--token must not be empty"),
    ],
)
def test_settings_validation(kwargs, message):
    with pytest.raises(I2IError, match=message):
        ServeSettings(**kwargs)


def test_capacity_and_loopback():
    assert ServeSettings(workers=3, queue=5).capacity == 8
    assert ServeSettings().loopback and not ServeSettings(host="0.0.0.0").loopback
