"""The i2i version (torch-free, imports nothing): modules that record or send it import it from here, so
no module below the package facade :mod:`i2i` has to import the facade."""

__version__ = "0.1.0"
