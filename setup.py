"""Package list for setuptools (everything else is in pyproject.toml).

``weights/`` (the shipped models and their registry) lives at the repository root, where the project's
card and ``i2i models ship`` expect it, and is packaged as ``i2i/weights`` so that a wheel or any other
non-editable install carries the named models.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["i2i", "i2i.*"]), "i2i.weights"],
    package_dir={"i2i.weights": "weights"},
)
