"""Result analyzers of a search (Neural DSL HPO guide): how the trials performed, and which hyperparameters
mattered. Both take any form of trials (see runner.hpo.trials)."""

from __future__ import annotations

from typing import Any

from runner.hpo.trials import number, retarget, to_study


class PerformanceAnalyzer:
    """The best trial, each trial's per-epoch curve and the best-so-far convergence."""

    def __init__(self, trials: Any, metric: str | None = None) -> None:
        self.study, self.metric = to_study(trials)
        if metric and metric != self.metric:  # another metric the trials recorded per epoch
            self.study, self.metric = retarget(self.study, metric), metric
        self.direction = self.study.direction.name.lower()

    def completed(self) -> list[Any]:
        from optuna.trial import TrialState

        return [t for t in self.study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]

    def best(self) -> dict[str, Any] | None:
        """{number, value, params} of the best completed trial; None before any completed."""
        done = self.completed()
        if not done:
            return None
        t = (max if self.direction == "maximize" else min)(done, key=lambda t: t.value)
        return {"number": number(t), "value": t.value, "params": dict(t.user_attrs.get("values") or t.params)}

    def curves(self) -> dict[int, list[tuple[int, float]]]:
        """Trial number -> [(epoch, value)] as reported to the pruner (pruned trials included)."""
        return {number(t): sorted(t.intermediate_values.items())
                for t in self.study.get_trials(deepcopy=False) if t.intermediate_values}

    def convergence(self) -> list[tuple[int, float]]:
        """[(trial number, best value so far)] over the completed trials, in trial order."""
        out: list[tuple[int, float]] = []
        best: float | None = None
        better = (lambda a, b: a > b) if self.direction == "maximize" else (lambda a, b: a < b)
        for t in sorted(self.completed(), key=lambda t: t.number):
            best = t.value if best is None or better(t.value, best) else best
            out.append((number(t), best))
        return out

    def states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.study.get_trials(deepcopy=False):
            counts[t.state.name] = counts.get(t.state.name, 0) + 1
        return counts


# name -> Optuna evaluator class name (fANOVA by default, as Optuna does)
EVALUATORS = {
    "fanova": "FanovaImportanceEvaluator",
    "mdi": "MeanDecreaseImpurityImportanceEvaluator",
    "ped_anova": "PedAnovaImportanceEvaluator",
}


class ImportanceAnalyzer:
    """How much each hyperparameter explains the objective, by one of Optuna's evaluators."""

    def __init__(self, trials: Any, evaluator: str | Any = "fanova", seed: int | None = 0) -> None:
        self.study, self.metric = to_study(trials)
        if isinstance(evaluator, str) and evaluator.lower() not in EVALUATORS:
            raise ValueError(f"unknown importance evaluator {evaluator!r}: use {', '.join(EVALUATORS)}")
        self._spec = (evaluator, seed)
        self._built: Any = None

    @property
    def evaluator(self) -> Any:
        """Built on first use: fANOVA imports scikit-learn (seconds), which a search with fewer
        than two completed trials (one cut short by Ctrl-C) must not wait for."""
        if self._built is None:
            import optuna.importance as imp

            evaluator, seed = self._spec
            if not isinstance(evaluator, str):
                self._built = evaluator
            else:
                key = evaluator.lower()
                cls = getattr(imp, EVALUATORS[key])
                self._built = cls() if key == "ped_anova" else cls(seed=seed)
        return self._built

    def importances(self) -> dict[str, float]:
        """{parameter: importance} (summing to 1), most important first; {} when it cannot be
        estimated (fewer than two completed trials, or nothing varied)."""
        import warnings

        import optuna
        from optuna.trial import TrialState

        done = [t for t in self.study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
        if len(done) < 2:
            return {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ExperimentalWarning of PED-ANOVA
                got = optuna.importance.get_param_importances(self.study, evaluator=self.evaluator)
        except (RuntimeError, ValueError, ZeroDivisionError):
            return {}
        return {k: float(v) for k, v in got.items()}
