"""What a search sends to other processes or machines must survive the trip: a metric callable
that cannot be pickled fails there, after the search started, so check it here first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.program import ProgramError


def require_portable(metric: Any, where: str, dumps: Callable[[Any], bytes] | None = None) -> None:
    """Raise ProgramError when `metric` (a callable) cannot be serialized for `where`.

    Worker processes started by spawn unpickle by reference (the function must be importable at
    module level); Dask pickles with cloudpickle, which also ships lambdas and closures."""
    if not callable(metric):
        return
    name = getattr(metric, "__qualname__", repr(metric))
    if dumps is None and getattr(metric, "__module__", None) == "__main__":
        raise ProgramError(f"the metric function {name} is defined in the script being run, so {where} "
                           "cannot load it: move it into an importable module")
    if dumps is None:
        import pickle

        dumps = pickle.dumps
    try:
        dumps(metric)
    except Exception as exc:  # pickling raises PicklingError, AttributeError, TypeError, ...
        raise ProgramError(f"the metric function {name} cannot be sent to {where}: {exc}; define it "
                           "at module level in an importable module, or run the search in this process "
                           "(parallel 1)") from None
