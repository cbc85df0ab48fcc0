"""One search over one program: trials draw values, render the program, train the code
`neural compile` would emit, report per-epoch values to the pruner, and are tracked."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.identity import (
    differences,
    fingerprint,
    model_fingerprint,
    resolve_dataset,
    search_identity,
)
from runner.hpo.config import SearchConfig
from runner.hpo.liveness import WORKER_ATTR, Heartbeat, fail_stale, heartbeat_dir, this_worker
from runner.hpo.pruning import PruningCallback, make_pruner
from runner.hpo.results import SearchResult, build_result
from runner.hpo.search_space import SearchDim, build_dims, render_values
from runner.hpo.storage import IDENTITY_FILE, journal_path, open_storage, study_dir
from runner.hpo.strategies import BaseStrategy, make_strategy
from runner.metrics.validation import extra_metrics
from runner.program import ProgramError, load_program
from runner.tracking.store import write_json

if TYPE_CHECKING:
    from runner.tracking.session import TrackingSession


class NoTrialSucceeded(ProgramError):
    """No trial of the search completed; the message names the first trial's error."""

    def __init__(self, result: SearchResult) -> None:
        self.result = result
        error = next((t["error"] for t in result.trials if t.get("error")), None)
        states = sorted({t["state"] for t in result.trials}) or ["none run"]
        super().__init__(f"no trial of study {result.study_name} completed ({', '.join(states)})"
                         + (f"; the first error: {error}" if error else ""))


class Search:
    def __init__(self, text: str, path: str | Path = "program.neural", network: str | None = None,
                 search_space: dict[str, Any] | None = None, strategy: str | BaseStrategy | None = None,
                 config: SearchConfig | None = None) -> None:
        self.text = text
        self.path = Path(path)
        base = load_program(self.path, text, network)
        self.program = base
        self.analysis = base.analysis
        self.network = base.network
        train = self.network.train
        self.request = config or SearchConfig()  # as given: a worker process settles it again
        settled = self.request.settle(train, strategy.name if isinstance(strategy, BaseStrategy) else strategy)
        self.strategy = make_strategy(strategy or settled.method, settled.seed)
        self.search_space = search_space
        self.dims: list[SearchDim] = build_dims(self.analysis, self.network, search_space)
        if not self.dims:
            raise ProgramError(f"{self.path}: network {self.network.name!r} has nothing to search: "
                               "add HPO(...) expressions or pass a search space")
        # the strategy has the last word on how many trials run (a grid: each configuration once;
        # pbt: its population), so every reporter, worker share and executor counts the same
        self.config: SearchConfig = settled.with_trials(
            self.strategy.trial_count(settled, self.dims)).with_method(self.strategy.name)
        c = self.config
        dataset = resolve_dataset(self.network, c.dataset, c.data)
        if c.num_samples:
            dataset += f" (first {c.num_samples} samples)"
        self.identity = search_identity([d.identity() for d in self.dims], dataset=dataset,
                                        metric=self.metric, direction=self.direction, backend=self.backend,
                                        epochs=c.epochs, model=model_fingerprint(self.network))
        self.fingerprint = fingerprint(self.identity)
        self.family = f"{self.path.stem}-{self.network.name}"
        self.study_name = c.study_name or f"{self.family}-{self.fingerprint}"
        self.notices: list[str] = []
        self.resumed_trials = 0
        self.worker_threads: int | None = None  # framework threads, set in a parallel worker
        self.extra_metrics = extra_metrics([c.metric])  # the loop computes these
        self._data = None
        self._study = None
        self._session = None
        self.storage_override: Any = None  # an executor's storage (e.g. the Dask scheduler's)
        self.storage_label: str | None = None
        self.remote = False  # trials train elsewhere: this process loads no data

    # The settled settings under the names executors and reporters read.
    backend = property(lambda self: self.config.backend)
    metric = property(lambda self: self.config.metric_name)
    direction = property(lambda self: self.config.direction)
    pruner_name = property(lambda self: self.config.pruner)
    epochs = property(lambda self: self.config.epochs)
    n_trials = property(lambda self: self.config.n_trials)
    parallel = property(lambda self: self.config.parallel)
    timeout = property(lambda self: self.config.timeout)

    def tracking_session(self) -> TrackingSession:
        """What this process's trials share: environment captured once, one plot helper
        (runner.tracking.session), so a trial's tracking costs only its record."""
        if self._session is None:
            from runner.tracking.session import TrackingSession

            self._session = TrackingSession(live_plots=False)
        return self._session

    def attach(self, executor: Any) -> None:
        """Run on `executor`: its study storage (if any) replaces the configured one. Call
        before prepare() (run() does)."""
        from runner.hpo.executors import LocalExecutor

        if isinstance(executor, LocalExecutor):
            if executor.parallel is not None:
                self.config = dataclasses.replace(self.config, parallel=executor.parallel)
            return
        if self._study is not None:
            raise ProgramError("attach the executor before the study is opened")
        self.remote = True
        self.storage_override = executor.study_storage(self)
        self.storage_label = executor.describe_storage(self)

    # ------------------------------------------------------------------ pieces
    def data(self):
        if self._data is None:
            from runner.run import load_data

            self._data = load_data(self.program, self.config.dataset, self.config.data,
                                   num_samples=self.config.num_samples)
        return self._data

    def check_data(self) -> None:
        """A dataset or data file that cannot be loaded is one error before the first trial."""
        if (self.parallel <= 1 and not self.remote) or self.strategy.in_process:
            self.data()  # this process trains: load it once, now
            return
        from runner.data.registry import available_datasets

        c = self.config
        if c.data:
            if not Path(c.data).is_file():
                raise ProgramError(f"data file {c.data} does not exist")
            return
        name = resolve_dataset(self.network, c.dataset, None)
        key = name.strip().lower().replace("-", "_")
        if key not in available_datasets() and not key.startswith("synthetic"):
            self.data()  # an alias or a new loader decides; its error names the known sets

    def study(self, sampler: Any = None) -> Any:
        """Open this search's study: resume it when the identity matches, else start a new one
        (and say why); a named study (--study) that differs is an error naming the differences."""
        import optuna

        if self._study is not None:
            if sampler is not None:
                self._study.sampler = sampler
            return self._study
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = self.storage_override or open_storage(self.config.storage, self.config.base_dir,
                                                        self.study_name)
        existing = _load_existing(storage, self.study_name)
        if existing is not None:
            stored = existing.user_attrs.get("identity")
            if stored is not None and fingerprint(stored) != self.fingerprint:
                diffs = differences(stored, self.identity)
                raise ProgramError(f"study {self.study_name!r} is a different search; it differs in:\n  "
                                   + "\n  ".join(diffs) + "\nchoose another --study name, or leave "
                                   "--study out to start (or resume) the study of this search")
            if existing.direction.name.lower() != self.direction:
                raise ProgramError(f"study {self.study_name!r} already exists with direction "
                                   f"{existing.direction.name.lower()}; use another --study name")
        try:
            study = optuna.create_study(
                study_name=self.study_name, storage=storage, direction=self.direction,
                sampler=sampler or self.strategy.sampler(self.dims),
                pruner=make_pruner(self.pruner_name, self.epochs), load_if_exists=True)
        except ValueError as exc:
            raise ProgramError(f"cannot open study {self.study_name!r}: {exc}") from None
        beats = self.heartbeats()
        if existing is not None:
            stale = fail_stale(study, beats)
            trials = study.get_trials(deepcopy=False)
            self.resumed_trials = len(trials)
            counts = _state_counts(trials)
            note = f"resuming study {self.study_name}: {len(trials)} trials so far"
            if counts:
                note += f" ({counts})"
            if stale:
                note += (f"; {len(stale)} left RUNNING by a worker that died "
                         f"(#{', #'.join(str(t.number) for t in stale)}) now FAIL")
            self.notices.append(note)
        else:
            self.notices.append(self._why_new(storage))
        if study.user_attrs.get("identity") is None:
            study.set_user_attr("identity", self.identity)
            study.set_user_attr("fingerprint", self.fingerprint)
            study.set_user_attr("program", str(self.path))
            study.set_user_attr("network", self.network.name)
        study.set_user_attr("program_sha256", hashlib.sha256(self.text.encode()).hexdigest())
        study.set_user_attr("metric", self.metric)
        if self.config.storage is None:  # beside the journal, for the next run's "why new"
            folder = study_dir(self.config.base_dir, self.study_name)
            folder.mkdir(parents=True, exist_ok=True)
            write_json(folder / IDENTITY_FILE,
                       {"study": self.study_name, "program": str(self.path), "network": self.network.name,
                        "fingerprint": self.fingerprint, "identity": self.identity}, default=str)
        self._study = study
        return study

    def _why_new(self, storage: Any) -> str:
        prior = _previous_identities(self, storage)
        head = f"new study {self.study_name}"
        if not prior:
            return head
        # the closest earlier study (fewest differences; the newest of equals) says most
        name, diffs = min(((n, differences(ident, self.identity)) for n, ident in prior), key=lambda p: len(p[1]))
        shown = "; ".join(diffs[:4]) + (f"; and {len(diffs) - 4} more" if len(diffs) > 4 else "")
        return f"{head}: the search differs from study {name} ({shown})"

    def heartbeats(self) -> Path | None:
        """Where this search's workers keep their heartbeat files (journal storages only)."""
        journal = journal_path(self.config.storage, self.config.base_dir, self.study_name)
        return heartbeat_dir(journal) if journal is not None else None

    def trial_program(self, values: dict[str, Any]):
        text = render_values(self.text, self.network, self.dims, values)
        try:
            return load_program(self.path, text, self.network.name)
        except ProgramError as exc:
            raise ProgramError(f"these values give an invalid program: {exc}") from None

    def trial_tags(self, trial: Any) -> dict[str, Any]:
        """What each trial's experiment records about its search (the identity in full)."""
        return {"study": self.study_name, "trial": trial.number, "search": self.strategy.name,
                "fingerprint": self.fingerprint, "dataset": self.identity["dataset"],
                "metric": self.metric, "direction": self.direction, "backend": self.backend,
                "search_identity": json.dumps(self.identity, sort_keys=True, separators=(",", ":"))}

    def objective(self, trial: Any) -> float:
        """One trial; its error (or interruption) is recorded on it for the summary and the API."""
        trial.set_user_attr(WORKER_ATTR, {**this_worker(), "threads": self.worker_threads})
        try:
            return self._train_trial(trial)
        except ProgramError as exc:
            trial.set_user_attr("error", str(exc))
            raise
        except KeyboardInterrupt:
            trial.set_user_attr("error", "interrupted (SIGTERM or Ctrl-C)")
            raise

    def _train_trial(self, trial: Any) -> float:
        values = self.strategy.draw(trial, self.dims)
        # A custom strategy may return values without asking the trial: keep them all.
        trial.set_user_attr("values", values)
        return self.evaluate(trial, values)

    def evaluate(self, trial: Any, values: dict[str, Any], callbacks: Sequence[Any] = (),
                 track: bool | None = None) -> float:
        """Train one trial with its drawn values; an executor may run this on another machine
        (its own callbacks see each epoch; `track` False when the record is kept elsewhere)."""
        import optuna

        from runner.run import train

        program = self.trial_program(values)
        program.values = values
        cbs = list(callbacks)
        pruning = PruningCallback(trial, self.metric)
        if self.pruner_name != "none":
            cbs.append(pruning)
        else:
            cbs.append(_Recorder(self.metric, pruning))
        tracked = self.config.track if track is None else track
        # a searched train.epochs is the trial's own value (in the rendered program)
        epochs = None if "train.epochs" in values else self.config.epochs
        result = train(program, self.backend, ds=self.data(), epochs=epochs,
                       callbacks=cbs, quiet=True, track=tracked,
                       base_dir=self.config.base_dir, seed=self.config.seed, tags=self.trial_tags(trial),
                       metrics=self.extra_metrics,
                       on_experiment=lambda d: trial.set_user_attr("experiment_dir", d),
                       session=self.tracking_session() if tracked else None)
        history = result.history
        trial.set_user_attr("epochs", [dict(e) for e in history.epochs])
        if pruning.pruned:
            raise optuna.TrialPruned(history.stop_message)
        series = [e[self.metric] for e in history.epochs
                  if self.metric in e and math.isfinite(e[self.metric])]
        if not series:
            raise ProgramError(f"training reported no {self.metric!r} (has: {', '.join(history.final)}); "
                               "set validation_split > 0 or choose another metric")
        return max(series) if self.direction == "maximize" else min(series)

    def run_trials(self, n: int | None, timeout: float | None = None, callbacks: list | None = None,
                   tickets: Callable[[], bool] | None = None) -> None:
        """Run trials in this process: n of them, or one per granted ticket (a parallel
        worker asks its parent before each), with a heartbeat while they run."""
        study = self.study()
        beat = Heartbeat(self.heartbeats()).start()
        try:
            if tickets is None:
                study.optimize(self.objective, n_trials=n, timeout=timeout, callbacks=callbacks or [],
                               catch=(ProgramError,), gc_after_trial=False)
                return
            while tickets():
                study.optimize(self.objective, n_trials=1, callbacks=callbacks or [],
                               catch=(ProgramError,), gc_after_trial=False)
        finally:
            beat.stop()
            if self._session is not None:  # its helper finishes the plots asked for, then exits
                self._session.close()
                self._session = None

    # ------------------------------------------------------------------ run
    def prepare(self) -> list[str]:
        """Check the data and open the study before any trial; returns what to tell the user
        (resumed or new, and why), to print before the progress table."""
        if self._study is None:
            self.check_data()
            self.study()
            if not self.strategy.in_process and self.parallel > 1 and not self.remote:
                from runner.hpo.workers import describe_workers

                self.notices.append(describe_workers(min(self.parallel, self.n_trials)))
        return self.notices

    def run(self, reporter: Callable[[Any, Any], None] | None = None, executor: Any = None) -> SearchResult:
        """Run `n_trials` more trials where `executor` says (runner.hpo.executors; default:
        this machine, `parallel` processes), as the strategy runs them (BaseStrategy.run); the
        results and the optimized program are written here. SIGTERM/SIGINT (KeyboardInterrupt)
        at any moment ends every trial in a final state and still writes hpo_results.json, then
        re-raises. An Executor given is the caller's to close; one made here from an address is
        closed before returning (a study kept on a Dask scheduler is then out of reach: the
        result's records are copies)."""
        from runner.hpo.executors import make_executor

        made = make_executor(executor, parallel=None)
        try:
            self.strategy.check_executor(made)
            if self._study is None:
                self.attach(made)
            self.prepare()
            return self.strategy.run(self, reporter, made)
        finally:
            if made is not executor:  # made here (from an address, a Client, a cluster): ours to close
                made.close()

    def finish(self, study: Any, pbt: dict[str, Any] | None = None) -> SearchResult:
        """The result (and hpo_results.json) of the study as it stands."""
        return build_result(self, study, pbt)

    def spec(self) -> tuple:
        """What a worker process needs to rebuild this search (see runner.hpo.workers); any
        executor that runs trials elsewhere rebuilds it with `Search.from_spec` and calls
        `run_trials` (a ticket callback bounds the count across workers)."""
        return (type(self), self.text, str(self.path), self.network.name, self.search_space,
                self.strategy, self.request)

    @staticmethod
    def from_spec(spec: tuple, seed: int | None = None) -> Search:
        """The search a spec describes, as its own class; `seed` gives this worker its own
        draws (workers must not draw the same values)."""
        cls, text, path, network, search_space, strategy, config = spec
        if seed is not None:
            strategy.seed = seed
        return cls(text, path, network, search_space, strategy, config)


class _Recorder(PruningCallback):
    """Records the metric per epoch without a pruner (pruning off)."""

    def __init__(self, metric: str, sink: PruningCallback) -> None:
        self.metric = metric
        self.sink = sink

    def on_epoch_end(self, epoch: int, metrics) -> None:
        if self.metric in metrics:
            self.sink.values.append(float(metrics[self.metric]))


def _state_counts(trials: list[Any]) -> str:
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    return ", ".join(f"{n} {k}" for k, n in counts.items())


def _load_existing(storage: Any, name: str) -> Any:
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def _previous_identities(search: Search, storage: Any) -> list[tuple[str, dict[str, Any]]]:
    """Other studies of the same program and network, newest first (for "why new")."""
    found: list[tuple[float, str, dict[str, Any]]] = []
    if search.config.storage is None:
        root = study_dir(search.config.base_dir, search.family).parent
        for f in root.glob(f"*/{IDENTITY_FILE}"):
            try:
                data = json.loads(f.read_text())
                if data.get("network") == search.network.name and Path(data.get("program", "")) == search.path:
                    found.append((f.stat().st_mtime, data["study"], data["identity"]))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
    else:
        import optuna

        for s in optuna.get_all_study_summaries(storage, include_best_trial=False):
            ident = s.user_attrs.get("identity")
            if s.study_name != search.study_name and isinstance(ident, dict) \
                    and s.user_attrs.get("network") == search.network.name \
                    and s.user_attrs.get("program") == str(search.path):
                when = s.datetime_start.timestamp() if s.datetime_start else 0.0
                found.append((when, s.study_name, ident))
    found.sort(key=lambda x: -x[0])
    return [(n, i) for _, n, i in found if n != search.study_name]


__all__ = ["NoTrialSucceeded", "Search", "SearchConfig", "SearchResult"]
