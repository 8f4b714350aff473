"""Package list for setuptools (everything else is in pyproject.toml).

Every folder of ``i2i/`` that holds a module is a package of the install, found by walking the tree rather
than by ``find_packages`` (which silently leaves out a folder without ``__init__.py``: ``i2i.eval`` and
``i2i.optimize`` were once missing from the wheel that way). ``tests/test_wheel_install.py`` checks that each
such folder is a regular package and that a wheel holds every module and runs every command.

``weights/`` (the shipped models and their registry) lives at the repository root, where the project's
card and ``i2i models ship`` expect it, and is packaged as ``i2i/weights`` so that a wheel or any other
non-editable install carries the named models.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent


def module_folders(top: str = "i2i") -> list[str]:
    """Dotted names of ``top`` and every folder below it that holds a ``.py`` file."""
    folders = {path.parent for path in (ROOT / top).rglob("*.py") if "__pycache__" not in path.parts}
    return sorted(".".join(folder.relative_to(ROOT).parts) for folder in folders)


setup(
    packages=[*module_folders(), "i2i.weights"],
    package_dir={"i2i.weights": "weights"},
)
