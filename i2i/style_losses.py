"""Moved to :mod:`i2i.losses.perceptual`; this name stays importable for existing callers."""

from i2i.losses.perceptual import content_loss, gram, style_loss, tv_loss

__all__ = ["content_loss", "gram", "style_loss", "tv_loss"]
