"""How a search runs, settled once: an argument (CLI flag, HPOptimizer keyword), else the
program's `train` block, else the documented default (compiler.vocab.TRAIN_KEYS, the one
place those defaults live). The CLI, the Python API, the editor's Run HPO (which runs the
CLI), the local and distributed executors all read the settled `SearchConfig` that
`Search` holds, so the table's "k/n", the workers' share and the trials run agree.

    request = SearchConfig(n_trials=None, metric="f1")    # None: not given
    settled = request.settle(program.network.train)     # every field decided
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from compiler.identity import IdentityError, resolve_backend, resolve_direction, resolve_metric
from compiler.store import store_dir
from compiler.vocab import PRUNERS, TRAIN_KEYS
from runner.program import ProgramError

# The train-block keys a search reads, by SearchConfig field.
_FROM_TRAIN = {"method": "search_method", "n_trials": "trials", "timeout": "timeout",
               "parallel": "parallel", "epochs": "epochs", "pruner": "pruner",
               "population": "population"}


def default(key: str) -> Any:
    """The documented default of a train-block key (compiler.vocab)."""
    return TRAIN_KEYS[key].default


@dataclass(frozen=True)
class SearchConfig:
    """A search's settings. Built from arguments (None: not given) and settled by `settle`
    against the program's train block; `Search` keeps both (the request travels to worker
    processes, which settle it again to the same values)."""

    backend: str = "pytorch"
    dataset: str | None = None
    data: str | None = None
    metric: str | Callable[[Any, Any], float] | None = None  # or fn(y_true, y_pred) -> float
    direction: str | None = None
    method: str | None = None  # search_method: random, grid, bayesian, tpe, evolutionary, pbt
    n_trials: int | None = None  # trials to run now (a resumed study gets this many more)
    timeout: float | None = None
    parallel: int | None = None
    storage: str | None = None
    study_name: str | None = None
    epochs: int | None = None
    pruner: str | None = None
    population: int | None = None  # pbt's members (its trials)
    early_stopping: bool = True
    seed: int | None = None
    track: bool = True
    base_dir: str | None = None  # None: $NEURAL_EXPERIMENTS_DIR, else ./neural_experiments
    num_samples: int | None = None

    @property
    def metric_name(self) -> str | None:
        """The metric as trials record it: a callable's `val_<name>`, else the name."""
        if callable(self.metric):
            from runner.metrics.validation import canonical

            return canonical(self.metric)
        return self.metric

    def settle(self, train: Mapping[str, Any], method: str | None = None) -> SearchConfig:
        """Every field decided: argument, else `train`, else the documented default.
        Unknown values are one ProgramError before any trial. The strategy may still cap
        the trial count (`with_trials`: a grid runs each configuration once). `method`: the
        name of a strategy given as an object, which wins over the request's."""
        given = {f: getattr(self, f) for f in _FROM_TRAIN}
        given["method"] = method or self.method
        got = {f: v if v is not None else _train_value(train, key) for f, key in _FROM_TRAIN.items()
               for v in (given[f],)}
        got = {f: v if v is not None else default(_FROM_TRAIN[f]) for f, v in got.items()}
        method = str(got["method"]).lower()
        if method == "pbt":  # pbt's trials are its members: a trial count sizes the population
            got["population"] = (self.population or self.n_trials or _train_value(train, "population")
                                 or _train_value(train, "trials") or default("population"))
        pruner = str(got["pruner"]).lower()
        if pruner not in PRUNERS:
            raise ProgramError(f"unknown pruner {pruner!r}: use {', '.join(PRUNERS)}")
        try:
            backend = resolve_backend(self.backend)
            # a callable stays (it runs where trials run); a name is resolved as compiler.identity says
            metric = self.metric if callable(self.metric) else resolve_metric(train, self.metric)
            direction = resolve_direction(train, self.metric_name if callable(self.metric) else metric,
                                          self.direction)
        except IdentityError as exc:
            raise ProgramError(str(exc)) from None
        return replace(self, backend=backend, metric=metric, direction=direction,
                       method=method,
                       n_trials=int(got["n_trials"]), timeout=got["timeout"],
                       parallel=max(1, int(got["parallel"])), epochs=got["epochs"],
                       pruner=pruner if self.early_stopping else "none",
                       population=max(2, int(got["population"])), base_dir=store_dir(self.base_dir))

    def with_trials(self, n: int) -> SearchConfig:
        """The trial count a strategy settled on (runner.hpo.strategies.BaseStrategy.trial_count)."""
        return replace(self, n_trials=n)

    def with_method(self, name: str) -> SearchConfig:
        """The method actually used (a BaseStrategy object's own name)."""
        return replace(self, method=name)


def _train_value(train: Mapping[str, Any], key: str) -> Any:
    """A train-block value the search can use as a setting (a searched HPO value is not one)."""
    v = train.get(key)
    return v if v is None or isinstance(v, (str, int, float)) else None


__all__ = ["SearchConfig", "default"]
