"""Where the experiment store is: the one home of its default folder and of the environment
variable that moves it. The runner (neural run, the search, track, tui, track ui, visualize,
ExperimentTracker/Manager) and the language server (which may not import the runner) read
it from here, so an editor reads the store a run wrote."""

from __future__ import annotations

import os
from collections.abc import Mapping

STORE_ENV = "NEURAL_EXPERIMENTS_DIR"
DEFAULT_STORE = "neural_experiments"


def store_dir(given: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> str:
    """`given` (--base-dir, base_dir=...), else $NEURAL_EXPERIMENTS_DIR, else ./neural_experiments."""
    if given:
        return os.fspath(given)
    env = os.environ if environ is None else environ
    return env.get(STORE_ENV) or DEFAULT_STORE


__all__ = ["DEFAULT_STORE", "STORE_ENV", "store_dir"]
