"""i2i: image-to-image translation and style.

Importing the package is cheap: it never imports torch. Heavy modules are imported where they are used,
so the onnxruntime translate path runs where only onnxruntime is installed.
"""

__version__ = "0.1.0"
