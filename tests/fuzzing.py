"""Hypothesis profiles (loaded by tests/conftest.py): CI gives the same verdict on every run; the wide search is local.

`ci` (the default) is derandomized: each property test draws the same examples every run,
so a clean clone's `bash .ci/run` cannot turn red by chance. `HYPOTHESIS_PROFILE=wide`
draws fresh random examples, ten times as many, with the example database on: run it
locally to look for new failures, then pin what it finds with `@example`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True,
                          deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("wide", derandomize=False, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> int:
    """A test's example count: `n` in CI, ten times that in the wide local search."""
    return n * 10 if settings.get_current_profile_name() == "wide" else n
