"""Fixtures for the named-model tests live in helpers.py (tests/cli/test_models.py uses them too)."""

from tests.zoo.helpers import tiny, zoo_env

__all__ = ["tiny", "zoo_env"]
