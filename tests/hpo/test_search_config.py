"""A search's settings are settled once (runner.hpo.config): argument, else the train block,
else compiler.vocab's documented default; the CLI, the API and every reporter read the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.vocab import TRAIN_KEYS
from runner.hpo.config import SearchConfig
from runner.program import ProgramError
from tests.hpo.conftest import TINY


def test_defaults_come_from_the_vocabulary():
    s = SearchConfig().settle({})
    assert (s.method, s.n_trials, s.pruner, s.epochs, s.parallel, s.timeout, s.population) == tuple(
        TRAIN_KEYS[k].default for k in ("search_method", "trials", "pruner", "epochs", "parallel",
                                        "timeout", "population"))
    assert (s.metric, s.direction, s.backend) == ("val_loss", "minimize", "pytorch")


def test_arguments_over_the_train_block_over_defaults():
    train = {"search_method": "random", "trials": 7, "timeout": 30.0, "parallel": 2, "epochs": 3,
             "pruner": "hyperband", "metric": "f1"}
    s = SearchConfig().settle(train)
    assert (s.method, s.n_trials, s.timeout, s.parallel, s.epochs, s.pruner) == ("random", 7, 30.0, 2, 3, "hyperband")
    assert (s.metric, s.direction) == ("val_f1", "maximize")
    s = SearchConfig(method="grid", n_trials=2, timeout=5.0, parallel=1, epochs=1, pruner="none",
                     metric="val_loss").settle(train)
    assert (s.method, s.n_trials, s.timeout, s.parallel, s.epochs, s.pruner, s.direction) == (
        "grid", 2, 5.0, 1, 1, "none", "minimize")
    assert SearchConfig(early_stopping=False).settle(train).pruner == "none"
    assert s.settle(train) == s  # settling is idempotent: a worker settles the request again


def test_unknown_pruner_or_metric_is_one_error():
    with pytest.raises(ProgramError, match="unknown pruner"):
        SearchConfig().settle({"pruner": "sometimes"})
    with pytest.raises(ProgramError, match="unknown metric"):
        SearchConfig(metric="val_happiness").settle({})


def test_pbt_trials_are_its_population():
    assert SearchConfig().settle({"search_method": "pbt"}).population == TRAIN_KEYS["population"].default
    assert SearchConfig().settle({"search_method": "pbt", "population": 6, "trials": 9}).population == 6
    assert SearchConfig().settle({"search_method": "pbt", "trials": 5}).population == 5
    assert SearchConfig(n_trials=3).settle({"search_method": "pbt", "population": 6}).population == 3


# ---------------------------------------------------------------------------- real searches
needs_torch = pytest.mark.torch


def _tiny(tmp_path: Path, train: str) -> Path:
    pytest.importorskip("optuna")
    pytest.importorskip("torch")
    p = tmp_path / "tiny.neural"
    p.write_text(TINY.replace("train { epochs: 2 batch_size: 64 validation_split: 0.2 }", f"train {{ {train} }}"))
    return p


def _events(tmp_path: Path, *args: str) -> list[dict]:
    r = subprocess.run([sys.executable, "-m", "runner", "run", "tiny.neural", "--hpo", "--progress-json",
                        "--no-track", "--dataset", "digits", "--seed", "0", *args],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


@needs_torch
def test_search_counts_what_the_strategy_runs(tmp_path):
    """pbt from the train block runs its population, and its Search says so before any trial
    (the table and the editor size "trial k/n" from it; it said 20 for 4 members)."""
    from runner.hpo import Search

    p = _tiny(tmp_path, 'epochs: 2 search_method: "pbt" population: 3')
    assert Search(p.read_text(), p).n_trials == 3
    p = _tiny(tmp_path, 'epochs: 2 search_method: "grid"')
    assert Search(p.read_text(), p, config=SearchConfig(n_trials=1000)).n_trials == 2 * 3 * 5


@needs_torch
def test_pbt_progress_counts_its_members(tmp_path):
    _tiny(tmp_path, "epochs: 2 batch_size: 64 validation_split: 0.2")
    events = _events(tmp_path, "--search", "pbt", "--trials", "3", "--epochs", "2")
    trials = [e for e in events if e["event"] == "trial"]
    assert [(e["index"], e["n_trials"]) for e in trials] == [(1, 3), (2, 3), (3, 3)]
    assert [e for e in events if e["event"] == "result"][0]["trials"] == 3


@needs_torch
def test_grid_progress_counts_the_grid(tmp_path):
    p = _tiny(tmp_path, "epochs: 1 batch_size: 64 validation_split: 0.2")
    p.write_text(p.read_text().replace("HPO(log_range(1e-3, 3e-2))", "0.01"))
    trials = [e for e in _events(tmp_path, "--search", "grid", "--trials", "50", "--pruner", "none")
              if e["event"] == "trial"]
    assert len(trials) == 6 and {e["n_trials"] for e in trials} == {6}


@needs_torch
def test_python_api_reads_train_trials(tmp_path):
    """HPOptimizer() without n_trials runs train.trials trials (it ran 20), and its `parallel`
    and the method come from the train block as `neural run --hpo` reads them."""
    from runner.hpo import HPOptimizer

    text = _tiny(tmp_path, 'epochs: 1 trials: 2 search_method: "random"').read_text()
    opt = HPOptimizer(track=False, seed=0, num_samples=200, base_dir=str(tmp_path / "store"))
    opt.optimize(text, dataset_name="digits")
    assert len(opt.trials) == 2
    assert json.loads(Path(opt.last_result.results_path).read_text())["search_method"] == "random"
