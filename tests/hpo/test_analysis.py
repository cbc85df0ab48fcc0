"""Analyzers and plots of a search (Neural DSL HPO guide): real Optuna studies, real plotly/matplotlib files."""

from __future__ import annotations

import json

import pytest

optuna = pytest.importorskip("optuna")

from runner.hpo.analysis import EVALUATORS, ImportanceAnalyzer, PerformanceAnalyzer  # noqa: E402
from runner.hpo.trials import TrialList  # noqa: E402
from runner.hpo.visualization import (  # noqa: E402
    PLOTS,
    VisualizationGenerator,
    plot_optimization_history,
    plot_param_importance,
)


def _study(n: int = 12, direction: str = "minimize"):
    """x matters, y barely: the objective is (x - 2)^2 + 0.01 y, with per-epoch reports and an
    'epochs' record of another metric (acc = 1 / (1 + objective))."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_user_attr("metric", "val_loss")

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_float("y", -5, 5)
        value = (x - 2) ** 2 + 0.01 * y
        for epoch in (1, 2):
            trial.report(value * (3 - epoch), epoch)
        trial.set_user_attr("epochs", [{"val_loss": value * 2, "val_accuracy": 0.5 / (1 + abs(value))},
                                       {"val_loss": value, "val_accuracy": 1 / (1 + abs(value))}])
        return value

    study.optimize(objective, n_trials=n)
    return study


def test_performance_analyzer_best_curves_and_convergence():
    study = _study()
    perf = PerformanceAnalyzer(study)
    best = perf.best()
    assert best["number"] == study.best_trial.number and best["value"] == study.best_value
    assert best["params"] == study.best_params
    curves = perf.curves()
    assert set(curves) == {t.number for t in study.trials}
    assert [e for e, _ in curves[0]] == [1, 2]
    conv = perf.convergence()
    assert [n for n, _ in conv] == list(range(12))
    values = [v for _, v in conv]
    assert values == sorted(values, reverse=True) and values[-1] == study.best_value  # never worsens
    assert perf.states() == {"COMPLETE": 12}


def test_performance_analyzer_on_another_recorded_metric_follows_its_direction():
    study = _study()
    perf = PerformanceAnalyzer(TrialList(study.trials, "val_loss", "minimize"), metric="val_accuracy")
    best = perf.best()
    expected = max(t.user_attrs["epochs"][-1]["val_accuracy"] for t in study.trials)
    assert best["value"] == pytest.approx(expected)
    assert best["number"] == study.best_trial.number  # lowest loss has highest accuracy here


@pytest.mark.parametrize("evaluator", sorted(EVALUATORS))
def test_importance_finds_the_parameter_that_matters(evaluator):
    imp = ImportanceAnalyzer(_study(20), evaluator=evaluator).importances()
    assert set(imp) == {"x", "y"}
    assert imp["x"] > imp["y"]


def test_importance_is_empty_below_two_completed_trials_and_names_bad_evaluators():
    assert ImportanceAnalyzer(_study(1)).importances() == {}
    with pytest.raises(ValueError, match="unknown importance evaluator 'shap'"):
        ImportanceAnalyzer(_study(2), evaluator="shap")


def test_seed_plot_functions_return_figures_from_trials():
    study = _study()
    trials = TrialList(study.trials, "val_loss", "minimize")
    fig = plot_optimization_history(trials, metric="val_accuracy")
    assert fig.layout.yaxis.title.text == "val_accuracy"
    ys = [y for trace in fig.data if trace.name == "val_accuracy" for y in trace.y]
    assert max(ys) == pytest.approx(max(t.user_attrs["epochs"][-1]["val_accuracy"] for t in study.trials))
    imp = plot_param_importance(trials)
    assert list(imp.data[0].y) == ["y", "x"]  # plotly lists the least important first
    # A plain list of FrozenTrials works too (direction from the metric's name).
    assert plot_optimization_history(study.trials).data


def test_generator_writes_every_plot_as_html_and_png(tmp_path):
    gen = VisualizationGenerator(_study())
    assert gen.available() == PLOTS
    html = gen.write(tmp_path / "h", "html")
    png = gen.write(tmp_path / "p", "png")
    assert sorted(p.name for p in html) == sorted(f"{n}.html" for n in PLOTS)
    assert sorted(p.name for p in png) == sorted(f"{n}.png" for n in PLOTS)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in png)
    assert all(b"plotly" in p.read_bytes()[:200000] for p in html)


def test_generator_skips_what_one_trial_cannot_show(tmp_path):
    gen = VisualizationGenerator(_study(1))
    assert "param_importances" not in gen.available() and "contour" not in gen.available()
    assert {p.name for p in gen.write(tmp_path, "html")} == {
        f"{n}.html" for n in ("optimization_history", "parallel_coordinate", "slice", "intermediate_values")}
    with pytest.raises(ValueError, match="unknown format 'svg'"):
        gen.write(tmp_path, "svg")


def test_results_json_round_trips_into_the_analyzers(tmp_path):
    from runner.hpo.results import trial_record

    study = _study()
    path = tmp_path / "hpo_results.json"
    path.write_text(json.dumps({"direction": "minimize", "metric": "val_loss", "study": "s",
                                "trials": [trial_record(t) for t in study.trials]}))
    perf = PerformanceAnalyzer(str(path), metric="val_accuracy")
    assert perf.best()["number"] == study.best_trial.number
    assert PerformanceAnalyzer(path).best()["value"] == pytest.approx(study.best_value)


def test_no_importance_to_estimate_imports_no_scikit_learn():
    """A search cut short (Ctrl-C before two trials completed) writes its results at once: fANOVA
    (scikit-learn, seconds to import on a loaded machine) is built only when it has work."""
    import subprocess
    import sys

    code = ("import sys, optuna\n"
            "from runner.hpo.analysis import ImportanceAnalyzer\n"
            "s = optuna.create_study()\n"
            "t = s.ask({'x': optuna.distributions.FloatDistribution(0, 1)})\n"
            "s.tell(t, state=optuna.trial.TrialState.FAIL)\n"
            "assert ImportanceAnalyzer(s).importances() == {}\n"
            "print('sklearn' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
