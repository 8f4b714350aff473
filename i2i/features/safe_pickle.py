"""A restricted unpickler for weight files that are pickles of nested dicts of numpy arrays.

Pickle runs code: any ``GLOBAL`` opcode names a callable that ``REDUCE`` then calls (``os.system`` is the
classic). :func:`load_numpy_pickle` only lets the three globals that numpy array reconstruction needs
through (``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``, ``numpy.dtype``; ``numpy._core`` is
the numpy >= 2 spelling), plus ``_codecs.encode`` (how protocol 2 writes bytes), and refuses every other
name with an :class:`~i2i.errors.I2IError` before anything is called.
Dicts, lists, tuples, strings, bytes and numbers need no globals.
"""

from __future__ import annotations

import codecs
import io
import pickle
from typing import Any

import numpy as np

from i2i.errors import I2IError


def _reconstruct():  # resolved lazily: numpy 2 moved numpy.core to numpy._core
    try:
        from numpy._core.multiarray import _reconstruct as fn  # type: ignore[attr-defined]
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct as fn  # type: ignore[attr-defined,no-redef]
    return fn


_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("_codecs", "encode"): lambda: codecs.encode,  # protocol 2 spells bytes as encode(str, "latin1")
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` resolves only numpy array reconstruction; anything else raises."""

    def find_class(self, module: str, name: str) -> Any:
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise I2IError(f"refusing to unpickle {module}.{name}: only numpy arrays are allowed in weights")
        return factory()

    def persistent_load(self, pid: Any) -> Any:
        raise I2IError("refusing to unpickle a persistent id: only numpy arrays are allowed in weights")


def load_numpy_pickle(data: bytes) -> Any:
    """Unpickle ``data`` allowing only containers, scalars and numpy arrays.

    Raises:
        I2IError: the pickle names any other global (the message names it), or is malformed.
    """
    try:
        return NumpyOnlyUnpickler(io.BytesIO(data)).load()
    except I2IError:
        raise
    except Exception as err:  # truncated or corrupt pickle
        raise I2IError(f"cannot read weight pickle ({type(err).__name__}: {err})") from None
