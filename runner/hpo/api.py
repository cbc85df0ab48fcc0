"""The Python API of the Neural DSL HPO guide: HPOptimizer, optimize_and_return, generate_optimized_dsl."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from runner.hpo.config import SearchConfig
from runner.hpo.engine import NoTrialSucceeded, Search, SearchResult
from runner.hpo.strategies import BaseStrategy
from runner.hpo.trials import TrialList


class HPOptimizer:
    """Configured search; `optimize(...)` runs it on a program and returns the best values.

    `metric` is a name (val_loss, val_accuracy, f1, auc, r2, ...) or a callable
    fn(y_true, y_pred) -> float run on the validation split after each epoch, where the trial
    runs. `executor` says where trials run (runner.hpo.executors): an Executor, a Dask
    scheduler address, a distributed.Client or a Dask cluster; default this machine.
    """

    def __init__(self, strategy: str | BaseStrategy | None = None, n_trials: int | None = None,
                 timeout: float | None = None, early_stopping: bool = True, parallel_trials: int | None = None,
                 storage: str | None = None, *, epochs: int | None = None, seed: int | None = None,
                 study_name: str | None = None, pruner: str | None = None, track: bool = True,
                 base_dir: str | None = None, num_samples: int | None = None,
                 executor: Any = None) -> None:
        # None: the program's train block decides, else the documented default (runner.hpo.config)
        self.strategy = strategy
        self.config = SearchConfig(n_trials=n_trials, timeout=timeout, early_stopping=early_stopping,
                                   parallel=parallel_trials, storage=storage, epochs=epochs, seed=seed,
                                   study_name=study_name, pruner=pruner, track=track, base_dir=base_dir,
                                   num_samples=num_samples)
        self.executor = executor
        self.last_result: SearchResult | None = None
        self.trials = TrialList()  # every trial of the last optimize(), as Optuna FrozenTrials

    def optimize(self, neural_code: str, dataset_name: str | None = None, backend: str = "pytorch",
                 search_space: dict[str, Any] | None = None,
                 metric: str | Callable[[Any, Any], float] | None = None,
                 direction: str | None = None, network: str | None = None,
                 path: str = "program.neural") -> dict[str, Any]:
        cfg = dataclasses.replace(self.config, backend=backend, dataset=dataset_name, metric=metric,
                                  direction=direction)
        search = Search(neural_code, path, network, search_space, self.strategy, cfg)
        from runner.hpo.executors import make_executor

        executor = make_executor(self.executor, parallel=None)
        try:
            self.last_result = result = search.run(executor=executor)
            # Copies: a study kept on a Dask scheduler is out of reach once the client closes.
            self.trials = TrialList(result.study.get_trials() if result.study is not None else [],
                                    result.metric, result.direction)
        finally:
            if executor is not self.executor:
                executor.close()  # made here from an address: close its connection
        if self.last_result.best_value is None:
            raise NoTrialSucceeded(self.last_result)
        return dict(self.last_result.best_params)


def optimize_and_return(neural_code: str, n_trials: int | None = None, dataset_name: str | None = None,
                        backend: str = "pytorch", search_space: dict[str, Any] | None = None,
                        **kwargs: Any) -> dict[str, Any]:
    """Search the program's HPO space (and `search_space`) and return the best values
    (`n_trials` None: train.trials, else 20, as `neural run --hpo` counts them);
    raises NoTrialSucceeded (naming the first trial's error) when no trial completes."""
    return HPOptimizer(n_trials=n_trials, **kwargs).optimize(neural_code, dataset_name, backend, search_space)


def generate_optimized_dsl(neural_code: str, best_params: dict[str, Any], network: str | None = None,
                           search_space: dict[str, Any] | None = None) -> str:
    """The program text with the best values in place; formatting and comments kept."""
    from compiler.analysis import analyze
    from compiler.model import missing_network
    from runner.hpo.search_space import build_dims, render_values
    from runner.program import ProgramError

    a = analyze(neural_code)
    net = a.network(network)
    if net is None:
        raise ProgramError(missing_network(a.networks, network))
    dims = build_dims(a, net, search_space or _implied_space(best_params, net))
    known = {d.name for d in dims}
    unknown = [k for k in best_params if k not in known]
    if unknown:
        raise ProgramError(f"unknown parameter {unknown[0]!r}; known: {', '.join(sorted(known))}")
    for d in dims:
        if d.name in best_params and d.param is not None and d.kind == "categorical":
            d.param.parse_public(best_params[d.name])  # raises ValueError for a value not offered
    return render_values(neural_code, net, dims, best_params)


def _implied_space(best_params: dict[str, Any], net: Any) -> dict[str, Any] | None:
    """Keys that are not HPO expressions of the program (e.g. "learning_rate" written as a
    literal) become categorical dimensions holding just the given value."""
    own = {p.name for p in net.space or []}
    extra = {k: {"type": "categorical", "values": [v]} for k, v in best_params.items() if k not in own}
    return extra or None
