"""Search strategies: which Optuna sampler explores the space, and how a trial's values are
drawn. Subclass `BaseStrategy` to plug in your own search:

    class MyStrategy(BaseStrategy):
        def __init__(self):
            super().__init__(name="my_strategy")

        def suggest_parameters(self, trial, search_space):
            # search_space: {name: {"type": ..., "values"/"min"/"max"/"step"/"log", "condition"?}}
            return {name: spec["values"][0] if spec["type"] == "categorical"
                    else trial.suggest_float(name, spec["min"], spec["max"])
                    for name, spec in search_space.items()}

Values not returned take their defaults. Only the active dimensions are passed (a nested
choice's inner parameters only when their option is chosen).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from runner.hpo.search_space import SearchDim, is_active

if TYPE_CHECKING:
    from runner.hpo.config import SearchConfig
    from runner.hpo.engine import Search
    from runner.hpo.results import SearchResult


class BaseStrategy:
    """A named search: a sampler plus a way to draw one trial's values."""

    grid = False
    in_process = False  # True: every trial trains in this process, whatever --parallel says

    def __init__(self, name: str = "custom", seed: int | None = None) -> None:
        self.name = name
        self.seed = seed

    def check_executor(self, executor: Any) -> None:
        """Refuse, before anything is opened, an executor this strategy cannot run on."""

    def run(self, search: Search, reporter: Any, executor: Any) -> SearchResult:
        """Run the search's trials: Optuna's study.optimize, in this process or in the
        executor's workers (runner.hpo.executors), then the result. On SIGTERM/Ctrl-C this
        process's running trials end FAIL and hpo_results.json is still written."""
        from runner.hpo.liveness import fail_stale

        study = search.study()
        try:
            executor.run(search, study, search.n_trials, reporter)
        except KeyboardInterrupt:
            fail_stale(study, search.heartbeats(), only_pids={os.getpid()})
            search.finish(study)
            raise
        return search.finish(study)

    def trial_count(self, config: SearchConfig, dims: list[SearchDim]) -> int:
        """How many trials this search runs now; the settled trial count by default."""
        return int(config.n_trials or 1)

    def sampler(self, dims: list[SearchDim]) -> Any:
        """The Optuna sampler; the default draws at random."""
        import optuna

        return optuna.samplers.RandomSampler(seed=self.seed)

    def suggest_parameters(self, trial: Any, search_space: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Values for one trial. The default asks the trial for each dimension in turn."""
        by = getattr(trial, "_neural_dims", {})
        return {name: by[name].suggest(trial, self.grid) for name in search_space if name in by}

    def draw(self, trial: Any, dims: list[SearchDim]) -> dict[str, Any]:
        """Walk the space in order so that nested choices see their parent's value."""
        by = {d.name: d for d in dims}
        trial._neural_dims = by  # for suggest_parameters (trial.user_attrs would hit the storage)
        values: dict[str, Any] = {}
        for d in dims:
            if d.parent is not None and not is_active(d, by, values):
                continue
            got = self.suggest_parameters(trial, {d.name: d.seed_form()})
            if d.name in got:
                values[d.name] = got[d.name]
        return values


class RandomStrategy(BaseStrategy):
    def __init__(self, seed: int | None = None) -> None:
        super().__init__("random", seed)


class GridStrategy(BaseStrategy):
    """Every combination of the discrete space, each once. Continuous dimensions are
    discretised: GRID_POINTS evenly spaced values (log-spaced on a log scale)."""

    grid = True

    def __init__(self, seed: int | None = None) -> None:
        super().__init__("grid", seed)

    def trial_count(self, config: SearchConfig, dims: list[SearchDim]) -> int:
        """Each configuration once: at most the size of the (discretised) space."""
        return min(super().trial_count(config, dims), grid_size(dims))

    def sampler(self, dims: list[SearchDim]) -> Any:
        import optuna

        # Brute force covers conditional (nested) spaces too, and stops when done.
        return optuna.samplers.BruteForceSampler(seed=self.seed)


class TPEStrategy(BaseStrategy):
    def __init__(self, seed: int | None = None) -> None:
        super().__init__("tpe", seed)

    def sampler(self, dims: list[SearchDim]) -> Any:
        import optuna

        # 5 random start-up trials instead of Optuna's 10: searches here are often 10-30 trials.
        return optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=5)


class BayesianStrategy(BaseStrategy):
    """Gaussian-process Bayesian optimisation (Optuna's GPSampler)."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__("bayesian", seed)

    def sampler(self, dims: list[SearchDim]) -> Any:
        import optuna

        return optuna.samplers.GPSampler(seed=self.seed, n_startup_trials=5)


class EvolutionaryStrategy(BaseStrategy):
    """CMA-ES when every dimension is numeric and unconditional, NSGA-II otherwise."""

    def __init__(self, seed: int | None = None, population_size: int = 8) -> None:
        super().__init__("evolutionary", seed)
        self.population_size = population_size

    def sampler(self, dims: list[SearchDim]) -> Any:
        import optuna

        numeric = all(d.kind != "categorical" and d.parent is None for d in dims)
        if numeric and len(dims) >= 2:
            return optuna.samplers.CmaEsSampler(seed=self.seed, n_startup_trials=2)
        return optuna.samplers.NSGAIISampler(seed=self.seed, population_size=self.population_size)


class PBTStrategy(BaseStrategy):
    """Population-based training: members train in rounds in this process (runner.hpo.pbt);
    the result carries its exploits (SearchResult.pbt)."""

    in_process = True

    def __init__(self, seed: int | None = None, population: int | None = None, rounds: int | None = None,
                 quantile: float = 0.25, perturb: tuple[float, float] = (0.8, 1.2)) -> None:
        super().__init__("pbt", seed)
        self.population = population  # None: the settled population (train.population, else 4)
        self.rounds = rounds
        self.quantile = quantile
        self.perturb = perturb

    def trial_count(self, config: SearchConfig, dims: list[SearchDim]) -> int:
        """Each member is one trial: the population (this object's, else the settled one)."""
        return max(2, self.population or config.population or 2)

    def check_executor(self, executor: Any) -> None:
        from runner.hpo.executors import LocalExecutor
        from runner.program import ProgramError

        if not isinstance(executor, LocalExecutor):
            raise ProgramError("pbt runs its population on this machine: use the local executor")

    def run(self, search: Search, reporter: Any, executor: Any) -> SearchResult:
        from runner.hpo.pbt import run_pbt

        return run_pbt(search, reporter)


STRATEGIES: dict[str, type[BaseStrategy]] = {
    "random": RandomStrategy,
    "grid": GridStrategy,
    "tpe": TPEStrategy,
    "bayesian": BayesianStrategy,
    "evolutionary": EvolutionaryStrategy,
    "pbt": PBTStrategy,
}


def make_strategy(strategy: str | BaseStrategy, seed: int | None = None) -> BaseStrategy:
    """A strategy by name (as SearchConfig settled it), or the given object."""
    if isinstance(strategy, BaseStrategy):
        return strategy
    name = str(strategy).lower()
    cls = STRATEGIES.get(name)
    if cls is None:
        raise ValueError(f"unknown search method {strategy!r}: use {', '.join(STRATEGIES)} "
                         "or a BaseStrategy subclass")
    return cls(seed=seed)


def grid_size(dims: list[SearchDim]) -> int:
    """Number of full configurations of the (discretised) space, nested choices included."""
    by_parent: dict[tuple[str, int] | None, list[SearchDim]] = {}
    for d in dims:
        key = (d.parent, d.parent_option) if d.parent is not None else None
        by_parent.setdefault(key, []).append(d)

    def count(group: list[SearchDim]) -> int:
        total = 1
        for d in group:
            if d.kind == "categorical":
                n = sum(count(by_parent.get((d.name, i), [])) for i in range(len(d.choices)))
            else:
                n = len(d.grid_values())
            total *= n
        return total

    return count(by_parent.get(None, []))
