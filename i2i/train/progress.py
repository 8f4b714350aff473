"""Re-exports for ``i2i.train``: training's progress bar and stop control live in :mod:`i2i.progress`."""

from i2i.progress import StopControl, TrainProgress, format_losses

__all__ = ["StopControl", "TrainProgress", "format_losses"]
