"""The search on a real Optuna study with real training on digits (tiny model, 2 epochs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.analysis import analyze
from compiler.render import substitute
from runner.hpo import (
    BaseStrategy,
    HPOptimizer,
    PBTStrategy,
    Search,
    SearchConfig,
    SearchSpaceError,
    generate_optimized_dsl,
)
from tests.hpo.conftest import TINY

pytestmark = pytest.mark.torch


def search(tiny: Path, method, trials: int = 3, **cfg) -> Search:
    base = cfg.pop("base_dir", str(tiny.parent / "store"))
    return Search(tiny.read_text(), tiny, None, cfg.pop("search_space", None), method,
                  SearchConfig(n_trials=trials, seed=0, track=cfg.pop("track", False), base_dir=base,
                               dataset="digits", num_samples=cfg.pop("num_samples", 600), **cfg))


@pytest.mark.parametrize("method", ["random", "tpe", "bayesian", "evolutionary"])
def test_each_sampler_method_runs_trials(tiny, method):
    r = search(tiny, method, trials=3).run()
    assert len(r.trials) == 3
    assert r.best_value is not None and r.best_value < 2.3  # below chance-level loss
    assert set(r.best_params) == {"layers[1].Dense.units", "layers[2].Dropout.rate",
                                  "optimizer.Adam.learning_rate"}


def test_grid_covers_the_discrete_space_exactly_once(tiny):
    text = tiny.read_text().replace("HPO(log_range(1e-3, 3e-2))", "0.01")
    tiny.write_text(text)
    r = search(tiny, "grid", trials=50, pruner="none").run()
    combos = [tuple(sorted(t["params"].items())) for t in r.trials]
    assert len(combos) == 2 * 3
    assert len(set(combos)) == 6


def test_grid_discretises_continuous_dimensions(tiny):
    s = search(tiny, "grid")
    lr = next(d for d in s.dims if d.name == "optimizer.Adam.learning_rate")
    vals = lr.grid_values()
    assert len(vals) == 5 and vals[0] == pytest.approx(1e-3) and vals[-1] == pytest.approx(3e-2)


GOOD = 5  # the median pruner's start-up trials (MEDIAN_STARTUP_TRIALS)


class GoodThenBad(BaseStrategy):
    """A custom strategy: GOOD sensible trials, then hopeless ones (learning rate ~0)."""

    def __init__(self) -> None:
        super().__init__(name="good_then_bad")

    def suggest_parameters(self, trial, search_space):
        out = {}
        for name, spec in search_space.items():
            if name.endswith("learning_rate"):
                out[name] = 0.02 if trial.number < GOOD else spec["min"]
            elif spec["type"] == "categorical":
                out[name] = spec["values"][0]
            else:
                out[name] = spec["min"]
        return out


def test_pruning_prunes_a_designed_bad_trial_and_marks_it(tiny):
    text = tiny.read_text().replace("HPO(log_range(1e-3, 3e-2))", "HPO(log_range(1e-7, 3e-2))")
    text = text.replace("epochs: 2", "epochs: 4")
    tiny.write_text(text)
    s = search(tiny, GoodThenBad(), trials=GOOD + 2, num_samples=300)
    r = s.run()
    states = [t["state"] for t in r.trials]
    assert states[:GOOD] == ["COMPLETE"] * GOOD
    assert "PRUNED" in states[GOOD:]
    saved = json.loads(Path(r.results_path).read_text())
    assert [t["state"] for t in saved["trials"]] == states
    pruned = next(t for t in saved["trials"] if t["state"] == "PRUNED")
    assert len(pruned["values_per_epoch"]) < 4


def test_resume_continues_the_same_study(tiny):
    store = tiny.parent / "store"
    search(tiny, "random", trials=2, base_dir=str(store)).run()
    r = search(tiny, "random", trials=2, base_dir=str(store)).run()
    assert len(r.trials) == 4
    assert (store / "hpo" / r.study_name / "journal.log").exists()


def test_median_pruner_waits_for_five_trials_and_a_third_of_the_epochs():
    pytest.importorskip("optuna")
    from runner.hpo.pruning import make_pruner

    p = make_pruner("median", 15)
    assert (p._n_startup_trials, p._n_warmup_steps) == (5, 5)


def test_parallel_workers_on_sqlite_lose_no_trial(tiny):
    url = f"sqlite:///{tiny.parent / 'studies.db'}"
    r = search(tiny, "random", trials=4, parallel=2, storage=url, num_samples=300).run()
    assert len(r.trials) == 4
    assert sorted(t["number"] for t in r.trials) == [0, 1, 2, 3]
    assert all(t["state"] in ("COMPLETE", "PRUNED") for t in r.trials)


@pytest.mark.postgres
def test_parallel_workers_on_postgresql(tiny, postgres_url):
    r = search(tiny, "random", trials=4, parallel=2, storage=postgres_url, num_samples=300,
               study_name=f"pg-{tiny.parent.name}").run()
    assert len(r.trials) == 4
    assert all(t["state"] in ("COMPLETE", "PRUNED") for t in r.trials)


def test_pbt_transfers_weights_and_hyperparameters(tiny):
    s = search(tiny, PBTStrategy(seed=0, population=4, rounds=3), epochs=6)
    r = s.run()
    assert r.pbt["architecture"] == ["layers[1].Dense.units"]
    assert r.pbt["events"], "no exploit happened"
    assert json.loads(Path(r.results_path).read_text())["pbt"] == r.pbt
    assert not hasattr(s, "pbt_events")  # the strategy's events are the result's, not the search's
    for e in r.pbt["events"]:
        assert e["weights_after"] == e["donor_weights"]
        assert e["weights_before"] != e["weights_after"]
    assert len(r.trials) == 4 and r.best_value is not None
    # the architecture is shared, so weights could move between members
    units = {t["params"].get("layers[1].Dense.units") for t in r.trials}
    assert len(units - {None}) <= 2


def test_pbt_members_are_tracked_in_the_searchs_session(tiny, monkeypatch):
    """Members record the environment the search captured once (they recorded none before),
    and their plots go to the search's one helper."""
    import os

    import runner.tracking.environment as environment
    from runner.tracking import ExperimentManager

    calls = []
    real = environment.capture_environment
    monkeypatch.setattr(environment, "capture_environment", lambda *a, **k: calls.append(1) or real(*a, **k))
    s = search(tiny, PBTStrategy(seed=0, population=3, rounds=2), epochs=2, track=True)
    s.run()
    members = [e for e in ExperimentManager(s.config.base_dir).list_experiments()
               if e["tags"].get("search") == "pbt"]
    assert len(members) == 3 and len(calls) == 1
    envs = [json.loads((Path(e["experiment_dir"]) / "metadata.json").read_text())["environment"]
            for e in members]
    assert all(e["captured"]["pid"] == os.getpid() for e in envs)
    assert len({json.dumps(e, sort_keys=True) for e in envs}) == 1


def test_optimized_program_equals_substitution_and_keeps_comments(tiny):
    r = search(tiny, "random", trials=2).run()
    opt = Path(r.optimized_path)
    assert opt.name == "tiny.optimized.neural"
    text = opt.read_text()
    assert "# width" in text and "# a tiny searched MLP" in text
    expected, a = substitute(tiny.read_text(), r.best_params)
    assert text == expected
    assert not a.errors and len(a.networks[0].space) == 0


def test_generate_optimized_dsl_api():
    best = {"layers[1].Dense.units": 32, "layers[2].Dropout.rate": 0.1, "optimizer.Adam.learning_rate": 0.005}
    out = generate_optimized_dsl(TINY, best)
    assert "Dense(32, activation=\"relu\")   # width" in out
    assert "Dropout(0.1)" in out and "learning_rate=0.005" in out
    with pytest.raises(ValueError):
        generate_optimized_dsl(TINY, {"layers[1].Dense.units": 48})


def test_seed_search_space_adds_and_overrides(tiny):
    text = tiny.read_text().replace("HPO(log_range(1e-3, 3e-2))", "0.001")
    tiny.write_text(text)
    space = {"learning_rate": {"type": "float", "min": 1e-4, "max": 1e-2, "log": True},
             "batch_size": {"type": "categorical", "values": [32, 64]},
             "dropout_rate": {"type": "float", "min": 0.1, "max": 0.3},
             "layers[1].Dense.units": {"type": "categorical", "values": [8, 12]}}
    opt = HPOptimizer(strategy="random", n_trials=2, seed=0, track=False, base_dir=str(tiny.parent / "s"),
                      num_samples=400)
    best = opt.optimize(tiny.read_text(), "digits", "pytorch", space)
    assert set(best) == {"learning_rate", "batch_size", "dropout_rate", "layers[1].Dense.units"}
    assert best["layers[1].Dense.units"] in (8, 12)
    assert 1e-4 <= best["learning_rate"] <= 1e-2
    out = opt.last_result.optimized_text
    a = analyze(out)
    assert not a.errors
    assert a.networks[0].train["batch_size"] == best["batch_size"]
    assert a.networks[0].layers[1].params["units"] == best["layers[1].Dense.units"]


def test_unknown_search_space_key_is_a_clear_error(tiny):
    with pytest.raises(SearchSpaceError, match="matches nothing"):
        search(tiny, "random", search_space={"momentumm": {"type": "float", "min": 0.1, "max": 0.9}})


def test_pruned_trials_are_pruned_in_the_experiment_store(tiny):
    from runner.tracking import ExperimentManager

    text = tiny.read_text().replace("HPO(log_range(1e-3, 3e-2))", "HPO(log_range(1e-7, 3e-2))")
    tiny.write_text(text.replace("epochs: 2", "epochs: 4"))
    store = tiny.parent / "tracked"
    r = search(tiny, GoodThenBad(), trials=GOOD + 1, track=True, base_dir=str(store), num_samples=300).run()
    states = {t["number"]: t["state"] for t in r.trials}
    exps = ExperimentManager(str(store)).list_experiments()
    by_trial = {int(e["tags"]["trial"]): e["status"] for e in exps}
    assert "PRUNED" in states.values()
    for number, state in states.items():
        assert by_trial[number] == {"COMPLETE": "completed", "PRUNED": "pruned"}[state]


def test_every_trial_is_a_tracked_experiment(tiny):
    from runner.tracking import ExperimentManager

    store = tiny.parent / "tracked"
    r = search(tiny, "random", trials=2, track=True, base_dir=str(store)).run()
    exps = ExperimentManager(str(store)).list_experiments()
    assert len(exps) == 2
    tags = [e.get("tags", {}) for e in exps]
    assert sorted(int(t.get("trial")) for t in tags) == [0, 1]
    assert all(t.get("study") == r.study_name for t in tags)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_cli_run_hpo_compile_hpo_and_visualize(tiny):
    cwd = tiny.parent
    r = _cli("run", tiny.name, "--hpo", "--trials", "3", "--search", "random", "--seed", "1", "--no-track",
             "--dataset", "digits", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert "best val_loss:" in r.stdout and "optimized program: tiny.optimized.neural" in r.stdout
    assert "new study tiny-Tiny-" in r.stderr and "3 trials this run: 3 completed, 0 pruned" in r.stderr
    # stderr is a pipe: one plain line per trial (as it ends), no live table drawn at the end
    assert [line.split("  ")[:2] for line in r.stderr.splitlines() if line.startswith("trial ")] == [
        [f"trial {n} ({n + 1}/3)", "COMPLETE"] for n in range(3)]
    assert "HPO trials" not in r.stderr
    (results,) = (cwd / "neural_experiments" / "hpo").glob("tiny-Tiny-*/hpo_results.json")
    data = json.loads(results.read_text())
    assert len(data["trials"]) == 3 and data["best"]["params"]
    assert all("values_per_epoch" in t for t in data["trials"])
    for fmt in ("html", "png"):
        v = _cli("visualize", str(results), "--format", fmt, "-o", f"plots_{fmt}", cwd=cwd)
        assert v.returncode == 0, v.stderr
        assert (cwd / f"plots_{fmt}" / f"optimization_history.{fmt}").exists()
        assert (cwd / f"plots_{fmt}" / f"parallel_coordinate.{fmt}").exists()
    c = _cli("compile", tiny.name, "--backend", "pytorch", "--hpo", "--trials", "1", "--no-track",
             "--study", "compile-study", "-o", "best.py", cwd=cwd)
    assert c.returncode == 0, c.stderr
    assert "wrote best.py" in c.stdout and "HPO(" not in (cwd / "best.py").read_text()


def test_cli_visualize_rejects_bad_files(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    r = _cli("visualize", str(bad), cwd=tmp_path)
    assert r.returncode == 2 and "not an hpo_results.json" in r.stderr and "Traceback" not in r.stderr
