"""The trials of a search as one value the analyzers and plots accept: `optimizer.trials` after
`optimize()`, an Optuna study, a list of FrozenTrials, a SearchResult or an hpo_results.json
(its data or its path). Plots need a study, so every form becomes one (in memory if need be)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.metrics import metric_direction


class TrialList(list):
    """Optuna FrozenTrials of one study, with the metric and direction they were scored by."""

    def __init__(self, trials: Any = (), metric: str | None = None, direction: str | None = None,
                 study: Any = None) -> None:
        super().__init__(trials)
        self.metric = metric
        self.direction = direction
        self.study = study


def to_study(source: Any, direction: str | None = None) -> tuple[Any, str | None]:
    """(an Optuna study, the metric its values are) for any accepted form of trials."""
    import optuna

    from runner.hpo.results_file import load_results, study_from_results

    if isinstance(source, optuna.Study):
        return source, source.user_attrs.get("metric")
    if isinstance(source, TrialList) and source.study is not None:
        return source.study, source.metric
    if isinstance(source, str | Path):
        source = load_results(source)
    if isinstance(source, dict) and "trials" in source:
        return study_from_results(source), source.get("metric")
    if hasattr(source, "trials") and hasattr(source, "metric") and isinstance(source.trials, list) \
            and source.trials and isinstance(source.trials[0], dict):  # a SearchResult
        data = {"trials": source.trials, "direction": source.direction, "study": source.study_name}
        return study_from_results(data), source.metric
    trials = list(source)
    if trials and not isinstance(trials[0], optuna.trial.FrozenTrial):
        raise TypeError(f"expected Optuna trials, a study or hpo_results.json, got a list of "
                        f"{type(trials[0]).__name__}")
    metric = getattr(source, "metric", None)
    direction = direction or getattr(source, "direction", None) or (
        metric_direction(metric) if metric else "minimize")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction)
    study.add_trials([t for t in trials if t.state.is_finished()])
    return study, metric


def epoch_value(trial: Any, metric: str, direction: str) -> float | None:
    """The best value of `metric` over a trial's recorded epochs (None if it never reported it)."""
    import math

    values = [e[metric] for e in trial.user_attrs.get("epochs", [])
              if isinstance(e.get(metric), int | float) and math.isfinite(e[metric])]
    if not values:
        return None
    return max(values) if direction == "maximize" else min(values)


def number(trial: Any) -> int:
    """The trial's number in the search it came from (a retargeted copy renumbers)."""
    return trial.user_attrs.get("number", trial.number)


def retarget(study: Any, metric: str) -> Any:
    """An in-memory copy of `study` scored by another metric its trials recorded per epoch (each
    trial's best value of it, in that metric's own direction); trials without it are left out."""
    import optuna
    from optuna.trial import TrialState

    direction = metric_direction(metric)
    copy = optuna.create_study(direction=direction, study_name=study.study_name)
    copy.set_user_attr("metric", metric)
    for t in study.get_trials(deepcopy=False):
        if not t.state.is_finished():
            continue
        if t.state == TrialState.COMPLETE:
            value = epoch_value(t, metric, direction)
            if value is None:
                continue
            t = optuna.trial.create_trial(state=t.state, value=value, params=t.params,
                                          distributions=t.distributions,
                                          user_attrs={"number": number(t), **t.user_attrs},
                                          intermediate_values=t.intermediate_values)
        copy.add_trial(t)
    return copy
