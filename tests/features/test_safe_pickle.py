"""The restricted unpickler refuses code and accepts nested dicts of numpy arrays."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from i2i.errors import I2IError
from i2i.features.safe_pickle import load_numpy_pickle


class _Exploit:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 3, 4])
def test_numpy_tree_round_trips(protocol):
    tree = {"VGG16_0": {"Conv_0": {"kernel": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2)}}}
    tree["VGG16_0"]["Conv_0"]["bias"] = np.array([1.5, -2.0], dtype=np.float64)
    tree["meta"] = [1, "two", (3.0, None), b"bytes"]
    back = load_numpy_pickle(pickle.dumps(tree, protocol=protocol))
    np.testing.assert_array_equal(back["VGG16_0"]["Conv_0"]["kernel"], tree["VGG16_0"]["Conv_0"]["kernel"])
    assert back["VGG16_0"]["Conv_0"]["bias"].dtype == np.float64
    assert back["meta"] == [1, "two", (3.0, None), b"bytes"]


def test_malicious_reduce_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weights": _Exploit(str(marker))}, protocol=2)
    with pytest.raises(I2IError, match=r"refusing to unpickle (posix|os|nt)\.system"):
        load_numpy_pickle(payload)
    assert not marker.exists()
    # the same bytes really are dangerous with plain pickle (proves the test can fail)
    pickle.loads(payload)
    assert marker.exists()


@pytest.mark.parametrize("name", ["builtins eval", "numpy load", "numpy.core.multiarray scalar"])
def test_other_globals_are_refused(name):
    module, attr = name.split()
    payload = b"\x80\x02c" + module.encode() + b"\n" + attr.encode() + b"\n."
    with pytest.raises(I2IError, match="refusing to unpickle"):
        load_numpy_pickle(payload)


def test_truncated_pickle_is_a_clear_error():
    data = pickle.dumps({"a": np.zeros(3)})
    with pytest.raises(I2IError, match="cannot read weight pickle"):
        load_numpy_pickle(data[: len(data) // 2])
