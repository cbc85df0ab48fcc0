"""The outcome of a search: best values, every trial, importance, hpo_results.json and the
optimized program."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.hpo.results_file import load_results, study_from_results
from runner.hpo.search_space import render_values
from runner.hpo.storage import describe, study_dir
from runner.tracking.store import write_json


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
    study: Any = field(default=None, repr=False, compare=False)  # the Optuna study, for analysis
    fingerprint: str | None = None
    notices: list[str] = field(default_factory=list)
    pbt: dict[str, Any] | None = None  # pbt: {"architecture": [...], "events": [exploits]}


def trial_record(t: Any) -> dict[str, Any]:
    from optuna.distributions import distribution_to_json

    return {
        "number": t.number,
        "state": t.state.name,
        "params": dict(t.user_attrs.get("values") or t.params),
        "value": t.value,
        "values_per_epoch": {str(k): v for k, v in sorted(t.intermediate_values.items())},
        "epochs": t.user_attrs.get("epochs", []),
        "experiment_dir": t.user_attrs.get("experiment_dir"),
        "worker": t.user_attrs.get("worker"),
        "error": t.user_attrs.get("error") or (t.system_attrs.get("fail_reason") if hasattr(t, "system_attrs") else None),
        "duration_s": t.duration.total_seconds() if t.duration else None,
        "distributions": {k: distribution_to_json(d) for k, d in t.distributions.items()},
    }


def state_counts(trials: list[dict[str, Any]]) -> dict[str, int]:
    """Trials per state (COMPLETE, PRUNED, FAIL, ...), for the summary line."""
    out: dict[str, int] = {}
    for t in trials:
        out[t["state"]] = out.get(t["state"], 0) + 1
    return out


def importance(study: Any) -> dict[str, float]:
    from runner.hpo.analysis import ImportanceAnalyzer

    return ImportanceAnalyzer(study).importances()


def build_result(search: Any, study: Any, pbt: dict[str, Any] | None = None) -> SearchResult:
    """The result of `search` from its study; writes hpo_results.json (and the optimized
    program beside the source). `pbt`: what a population-based run adds (its exploits)."""
    from optuna.trial import TrialState

    trials = [trial_record(t) for t in study.get_trials(deepcopy=False)]
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    best = None
    if complete:
        best = study.best_trial
    best_params = dict(best.params) if best else {}
    if best is not None and "final_values" in best.user_attrs:  # pbt: where the member ended up
        best_params = dict(best.user_attrs["final_values"])
    elif best is not None and "values" in best.user_attrs:
        best_params = dict(best.user_attrs["values"])
    result = SearchResult(
        study_name=search.study_name,
        storage=getattr(search, "storage_label", None)
        or describe(search.config.storage, search.config.base_dir, search.study_name),
        metric=search.metric, direction=search.direction,
        best_value=best.value if best else None, best_params=best_params,
        best_trial=best.number if best else None, trials=trials,
        importance=importance(study), fingerprint=search.fingerprint, notices=list(search.notices),
        study=study, pbt=pbt,
    )
    out_dir = study_dir(search.config.base_dir, search.study_name)
    if best:
        result.optimized_text = render_values(search.text, search.network, search.dims, best_params)
        if search.path.exists():
            opt_path = search.path.with_name(search.path.stem + ".optimized.neural")
            try:
                opt_path.write_text(result.optimized_text)
                result.optimized_path = str(opt_path)
            except OSError:
                result.optimized_path = None
    path = out_dir / "hpo_results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {
        "study": result.study_name, "storage": result.storage, "program": str(search.path),
        "network": search.network.name, "search_method": search.strategy.name,
        "backend": search.backend, "dataset": search.identity["dataset"], "metric": result.metric,
        "direction": result.direction, "fingerprint": search.fingerprint, "identity": search.identity,
        "counts": state_counts(trials),
        "best": {"number": result.best_trial, "value": result.best_value, "params": best_params},
        "importance": result.importance,
        "dimensions": {d.name: d.seed_form() for d in search.dims},
        "trials": trials,
        "optimized_program": result.optimized_path,
        "pbt": pbt,
    }, default=str, allow_nan=True)
    result.results_path = str(path)
    return result


__all__ = ["SearchResult", "build_result", "importance", "load_results", "state_counts",
           "study_from_results", "trial_record"]
