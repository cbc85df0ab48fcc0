"""Searches on metrics beyond loss/accuracy: built-in names, callables, and `optimizer.trials`
with the HPO guide's plot functions (real Optuna studies, real training on digits)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from runner.hpo import HPOptimizer, Search, SearchConfig
from runner.program import ProgramError
from tests.hpo.conftest import TINY

pytestmark = pytest.mark.torch


def top2(y_true, y_pred) -> float:
    """Top-2 accuracy: a module-level metric, so worker processes can import it."""
    best2 = np.argsort(np.asarray(y_pred), axis=1)[:, -2:]
    return float(np.mean([t in row for t, row in zip(y_true, best2, strict=True)]))


def _config(tmp: Path, **kw) -> SearchConfig:
    return SearchConfig(n_trials=kw.pop("n_trials", 2), seed=0, track=False, base_dir=str(tmp / "store"),
                        dataset="digits", num_samples=400, **kw)


def test_a_built_in_metric_is_maximised_and_recorded_per_trial(tiny):
    search = Search(tiny.read_text(), tiny, None, None, "random", _config(tiny.parent, metric="f1"))
    assert (search.metric, search.direction) == ("val_f1", "maximize")
    r = search.run()
    assert r.metric == "val_f1" and r.direction == "maximize"
    values = [t["value"] for t in r.trials]
    assert all(0 <= v <= 1 for v in values) and r.best_value == max(values)
    for t in r.trials:
        assert t["value"] == max(e["val_f1"] for e in t["epochs"])
    assert json.loads(Path(r.results_path).read_text())["metric"] == "val_f1"


def test_train_block_metric_picks_the_metric(tiny):
    tiny.write_text(TINY.replace("validation_split: 0.2", "validation_split: 0.2 metric: \"auc\""))
    search = Search(tiny.read_text(), tiny, None, None, "random", _config(tiny.parent))
    assert (search.metric, search.direction) == ("val_auc", "maximize")


def test_a_callable_metric_drives_the_search_and_trials_feed_the_seed_plots(tiny):
    from runner.hpo.visualization import plot_optimization_history, plot_param_importance

    opt = HPOptimizer("random", n_trials=3, seed=0, track=False, base_dir=str(tiny.parent / "store"),
                      num_samples=400)
    assert list(opt.trials) == []
    best = opt.optimize(tiny.read_text(), "digits", metric=top2, path=str(tiny))
    assert set(best) == {"layers[1].Dense.units", "layers[2].Dropout.rate", "optimizer.Adam.learning_rate"}
    assert len(opt.trials) == 3 and (opt.trials.metric, opt.trials.direction) == ("val_top2", "maximize")
    assert all(0 < t.value <= 1 for t in opt.trials)
    history = plot_optimization_history(opt.trials, metric="val_accuracy")
    assert history.layout.yaxis.title.text == "val_accuracy"
    assert plot_param_importance(opt.trials).data


def test_an_unknown_metric_name_is_one_error_before_any_trial(tiny):
    with pytest.raises(ProgramError, match="unknown metric 'f2': a search optimizes one of val_loss"):
        Search(tiny.read_text(), tiny, None, None, "random", _config(tiny.parent, metric="f2"))


def test_a_metric_worker_processes_cannot_import_fails_before_the_first_trial(tiny):
    cfg = _config(tiny.parent, metric=lambda y_true, y_pred: 0.5, parallel=2)
    search = Search(tiny.read_text(), tiny, None, None, "random", cfg)
    with pytest.raises(ProgramError, match="cannot be sent to worker processes"):
        search.run()
    import optuna

    study = optuna.load_study(study_name=search.study_name, storage=search_storage(search))
    assert study.trials == []


def search_storage(search: Search):
    from runner.hpo.storage import open_storage

    return open_storage(None, search.config.base_dir, search.study_name)


def test_neural_run_with_a_metric_shows_it_without_a_search(tiny):
    import subprocess
    import sys

    text = tiny.read_text().replace("HPO(choice(16, 32))", "16").replace("HPO(range(0.0, 0.2, step=0.1))", "0.1")
    tiny.write_text(text.replace("HPO(log_range(1e-3, 3e-2))", "0.01"))
    r = subprocess.run([sys.executable, "-m", "runner", "run", tiny.name, "--metric", "precision", "--no-track",
                        "--dataset", "digits", "--epochs", "1"], capture_output=True, text=True, cwd=tiny.parent,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "val_precision=" in r.stdout
