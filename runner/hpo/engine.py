"""One search over one program: trials draw values, render the program, train the code
`neural compile` would emit, report per-epoch values to the pruner, and are tracked."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.hpo.dims import SearchDim, build_dims, render_values
from runner.hpo.pruning import PruningCallback, make_pruner
from runner.hpo.storage import open_storage
from runner.hpo.strategies import BaseStrategy, make_strategy
from runner.program import ProgramError, load_program

MAXIMIZE_METRICS = ("accuracy", "val_accuracy")


@dataclass
class SearchConfig:
    backend: str = "pytorch"
    dataset: str | None = None
    data: str | None = None
    metric: str | None = None
    direction: str | None = None
    n_trials: int = 20
    timeout: float | None = None
    parallel: int = 1
    storage: str | None = None
    study_name: str | None = None
    epochs: int | None = None
    pruner: str | None = None
    early_stopping: bool = True
    seed: int | None = None
    track: bool = True
    base_dir: str = "neural_experiments"
    num_samples: int | None = None


@dataclass
class SearchResult:
    study_name: str
    storage: str
    metric: str
    direction: str
    best_value: float | None
    best_params: dict[str, Any]
    best_trial: int | None
    trials: list[dict[str, Any]] = field(default_factory=list)
    results_path: str | None = None
    optimized_text: str | None = None
    optimized_path: str | None = None
    importance: dict[str, float] = field(default_factory=dict)


class Search:
    def __init__(self, text: str, path: str | Path = "program.neural", network: str | None = None,
                 search_space: dict[str, Any] | None = None, strategy: str | BaseStrategy | None = None,
                 config: SearchConfig | None = None) -> None:
        self.text = text
        self.path = Path(path)
        self.config = config or SearchConfig()
        base = load_program(self.path, text, network)
        self.program = base
        self.analysis = base.analysis
        self.network = base.network
        train = self.network.train
        self.strategy = make_strategy(strategy or train.get("search_method"), self.config.seed)
        self.search_space = search_space
        self.dims: list[SearchDim] = build_dims(self.analysis, self.network, search_space)
        if not self.dims:
            raise ProgramError(f"{self.path}: network {self.network.name!r} has nothing to search: "
                               "add HPO(...) expressions or pass a search space")
        c = self.config
        self.metric = c.metric or train.get("metric") or "val_loss"
        self.direction = c.direction or train.get("direction") or (
            "maximize" if self.metric in MAXIMIZE_METRICS else "minimize")
        self.pruner_name = c.pruner or train.get("pruner") or "median"
        if not c.early_stopping:
            self.pruner_name = "none"
        self.study_name = c.study_name or f"{self.path.stem}-{self.network.name}"
        self._data = None

    # ------------------------------------------------------------------ pieces
    def data(self):
        if self._data is None:
            from runner.run import load_data

            self._data = load_data(self.program, self.config.dataset, self.config.data,
                                   num_samples=self.config.num_samples)
        return self._data

    def study(self, sampler: Any = None) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = open_storage(self.config.storage, self.config.base_dir, self.study_name)
        epochs = self.config.epochs or self.network.train.get("epochs") or 10
        try:
            study = optuna.create_study(
                study_name=self.study_name, storage=storage, direction=self.direction,
                sampler=sampler or self.strategy.sampler(self.dims),
                pruner=make_pruner(self.pruner_name, epochs), load_if_exists=True)
        except ValueError as exc:
            raise ProgramError(f"cannot open study {self.study_name!r}: {exc}") from None
        if study.direction.name.lower() != self.direction:
            raise ProgramError(f"study {self.study_name!r} already exists with direction "
                               f"{study.direction.name.lower()}; use another --study name")
        study.set_user_attr("program_sha256", hashlib.sha256(self.text.encode()).hexdigest())
        study.set_user_attr("metric", self.metric)
        return study

    def trial_program(self, values: dict[str, Any]):
        text = render_values(self.text, self.network, self.dims, values)
        try:
            return load_program(self.path, text, self.network.name)
        except ProgramError as exc:
            raise ProgramError(f"these values give an invalid program: {exc}") from None

    def objective(self, trial: Any) -> float:
        import optuna

        from runner.run import train

        values = self.strategy.draw(trial, self.dims)
        # A custom strategy may return values without asking the trial: keep them all.
        trial.set_user_attr("values", values)
        program = self.trial_program(values)
        program.values = values
        cbs = []
        pruning = PruningCallback(trial, self.metric)
        if self.pruner_name != "none":
            cbs.append(pruning)
        else:
            cbs.append(_Recorder(self.metric, pruning))
        result = train(program, self.config.backend, ds=self.data(), epochs=self.config.epochs,
                       callbacks=cbs, quiet=True, track=self.config.track, base_dir=self.config.base_dir,
                       seed=self.config.seed, tags={"study": self.study_name, "trial": trial.number,
                                                    "search": self.strategy.name})
        history = result.history
        trial.set_user_attr("epochs", [dict(e) for e in history.epochs])
        if result.experiment_dir:
            trial.set_user_attr("experiment_dir", result.experiment_dir)
        if pruning.pruned:
            raise optuna.TrialPruned(history.stop_message)
        series = [e[self.metric] for e in history.epochs if self.metric in e]
        if not series:
            raise ProgramError(f"training reported no {self.metric!r} (has: {', '.join(history.final)}); "
                               "set validation_split > 0 or choose another metric")
        return max(series) if self.direction == "maximize" else min(series)

    # ------------------------------------------------------------------ run
    def run(self, reporter: Callable[[Any, Any], None] | None = None) -> SearchResult:
        if self.strategy.name == "pbt":
            from runner.hpo.pbt import run_pbt

            return run_pbt(self, reporter)
        study = self.study()
        n_trials = self.config.n_trials
        if self.strategy.grid:
            n_trials = min(n_trials, _grid_size(self.dims))
        # One process: n_trials bounds the run (a MaxTrialsCallback would re-read the storage
        # after every trial). Several workers each take an exact share (see _run_parallel).
        if self.config.parallel > 1:
            self._run_parallel(study, n_trials, reporter)
        else:
            callbacks = [lambda s, t: reporter(s, t)] if reporter else []
            study.optimize(self.objective, n_trials=n_trials, timeout=self.config.timeout,
                           callbacks=callbacks, catch=(ProgramError,), gc_after_trial=False)
        return self.finish(self.study())

    def _run_parallel(self, study: Any, n: int, reporter) -> None:
        ctx = mp.get_context("spawn")
        k = self.config.parallel
        shares = [n // k + (1 if i < n % k else 0) for i in range(k)]  # exactly n trials in all
        spec = (type(self), self.text, str(self.path), self.network.name, self.search_space,
                self.strategy, self.config)
        procs = [ctx.Process(target=_worker, args=(spec, i, shares[i]), daemon=False)
                 for i in range(k) if shares[i]]
        for p in procs:
            p.start()
        seen: set[int] = set()
        try:
            while any(p.is_alive() for p in procs):
                time.sleep(0.5)
                seen = _report_new(study, seen, reporter)
        except KeyboardInterrupt:
            for p in procs:
                p.terminate()
            raise
        finally:
            for p in procs:
                p.join()
        _report_new(study, seen, reporter)
        failed = [p.exitcode for p in procs if p.exitcode]
        if failed:
            raise ProgramError(f"{len(failed)} worker process(es) failed (exit codes {failed})")

    def finish(self, study: Any) -> SearchResult:
        from runner.hpo.results import build_result

        return build_result(self, study)


class _Recorder(PruningCallback):
    """Records the metric per epoch without a pruner (pruning off)."""

    def __init__(self, metric: str, sink: PruningCallback) -> None:
        self.metric = metric
        self.sink = sink

    def on_epoch_end(self, epoch: int, metrics) -> None:
        if self.metric in metrics:
            self.sink.values.append(float(metrics[self.metric]))


def _grid_size(dims: list[SearchDim]) -> int:
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


def _report_new(study: Any, seen: set[int], reporter) -> set[int]:
    from optuna.trial import TrialState

    if reporter is None:
        return seen
    for t in study.get_trials(deepcopy=False):
        if t.number not in seen and t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            seen.add(t.number)
            reporter(study, t)
    return seen


def _worker(spec: tuple, index: int, share: int) -> None:
    """One worker process of a parallel search: its own data, its share of the trials, the
    shared study (a file or database every worker opens)."""
    cls, text, path, network, search_space, strategy, config = spec
    if config.seed is not None:
        strategy.seed = config.seed + index  # workers must not draw the same values
    search = cls(text, path, network, search_space, strategy, config)
    study = search.study(search.strategy.sampler(search.dims))
    study.optimize(search.objective, n_trials=share, timeout=config.timeout,
                   catch=(ProgramError,), gc_after_trial=False)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)


__all__ = ["Search", "SearchConfig", "SearchResult", "write_json"]
