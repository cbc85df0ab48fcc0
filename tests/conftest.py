"""Loads the Hypothesis profile (tests/fuzzing.py) before any test module is imported."""

from tests import fuzzing  # noqa: F401
