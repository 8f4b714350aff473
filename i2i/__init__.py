"""i2i: image-to-image translation and style.

Importing the package is cheap: it never imports torch. Heavy modules are imported where they are used,
so the onnxruntime translate path runs where only onnxruntime is installed. This module is the public
facade: it imports the Ray translate lazily, and the library's lower layers (checkpoints, downloads, the
model zoo) take the version from :mod:`i2i.version`, never from here, so no import cycle runs through it.
"""

from i2i.version import __version__

__all__ = ["__version__", "translate_ray"]


def __getattr__(name: str):
    """Lazy public API: ``i2i.translate_ray`` (Ray Data translate) is imported on first use."""
    if name == "translate_ray":
        from i2i.runtime.ray_translate import translate_ray

        return translate_ray
    raise AttributeError(f"module 'i2i' has no attribute {name!r}")
