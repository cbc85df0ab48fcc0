"""Parallel workers: started from a fixed entry module (a plain script needs no __main__
guard), cores/N framework threads each, a real journal study."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runner.hpo import Search
from tests.hpo.conftest import TINY

pytestmark = pytest.mark.torch

SCRIPT = '''
from runner.hpo import HPOptimizer, BaseStrategy

class FirstOption(BaseStrategy):  # defined in the script itself: workers must not import it
    def __init__(self):
        super().__init__(name="first_option")

    def suggest_parameters(self, trial, search_space):
        return {{n: s["values"][0] if s["type"] == "categorical" else s["min"] for n, s in search_space.items()}}

CODE = {code!r}
opt = HPOptimizer(strategy={strategy}, n_trials=4, parallel_trials=2, track=False, epochs=1, num_samples=300)
best = opt.optimize(CODE, "digits")
print("BEST", sorted(best), len(opt.last_result.trials))
'''


@pytest.mark.parametrize("strategy", ['"random"', "FirstOption()"])
def test_a_plain_script_without_a_main_guard_runs_parallel_trials(tmp_path: Path, strategy):
    pytest.importorskip("optuna")
    if strategy != '"random"':
        pytest.importorskip("cloudpickle")
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(SCRIPT.format(code=TINY, strategy=strategy)))
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "BEST ['layers[1].Dense.units', 'layers[2].Dropout.rate', 'optimizer.Adam.learning_rate'] 4" in r.stdout
    assert "RuntimeError" not in r.stderr and "freeze_support" not in r.stderr


def test_each_worker_gets_its_share_of_the_cores_and_says_so(tiny):
    import optuna

    from runner.hpo import Search, SearchConfig
    from runner.hpo.storage import open_storage
    from runner.hpo.workers import describe_workers, worker_threads

    s = Search(tiny.read_text(), tiny, None, None, "random",
               SearchConfig(n_trials=2, parallel=2, seed=0, track=False, epochs=1, num_samples=300,
                            dataset="digits", base_dir=str(tiny.parent / "store")))
    assert describe_workers(2) in s.prepare()
    r = s.run()
    study = optuna.load_study(study_name=r.study_name, storage=open_storage(None, s.config.base_dir, r.study_name))
    workers = [t.user_attrs["worker"] for t in study.get_trials()]
    assert [w["threads"] for w in workers] == [worker_threads(2)] * 2
    assert all(w["pid"] != os.getpid() for w in workers)


def test_workers_share_one_environment_capture_and_the_parents_plot_helper(tiny, monkeypatch):
    """The environment of a parallel search is captured once, by the parent, and every
    trial's record holds that capture (each with its own worker's command); the workers
    start no plot process: the parent's one helper draws every trial's plots."""
    import json
    import time

    import runner.tracking.session as session_module
    from runner.hpo import Search, SearchConfig
    from runner.tracking import ExperimentManager

    spawned = []
    real_spawn = session_module.spawn_worker
    monkeypatch.setattr(session_module, "spawn_worker",
                        lambda *a, **k: spawned.append(a) or real_spawn(*a, **k))
    store = tiny.parent / "store"
    r = Search(tiny.read_text(), tiny, None, None, "random",
               SearchConfig(n_trials=4, parallel=2, seed=0, track=True, epochs=1, num_samples=300,
                            dataset="digits", base_dir=str(store))).run()
    assert [t["state"] for t in r.trials] == ["COMPLETE"] * 4
    trials = [e for e in ExperimentManager(store).list_experiments() if "trial" in e["tags"]]
    assert len(trials) == 4
    metas = [json.loads((Path(e["experiment_dir"]) / "metadata.json").read_text()) for e in trials]
    envs = [m["environment"] for m in metas]
    assert all(e["captured"]["pid"] == os.getpid() for e in envs)  # by the parent, once
    assert len({json.dumps({k: v for k, v in e.items() if k != "command"}, sort_keys=True)
                for e in envs}) == 1
    assert all(e["command"]["pid"] != os.getpid() for e in envs)  # each ran in a worker
    assert spawned == [("runner.tracking.plot_worker", "--serve")]
    deadline = time.monotonic() + 120  # the helper draws after the search, at low priority
    pngs = [Path(e["experiment_dir"]) / "plots" / "metric_loss.png" for e in trials]
    while not all(p.is_file() for p in pngs) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert all(p.is_file() for p in pngs)


class RecordingSearch(Search):
    """Each trial records the name of the dataset it trained on (workers import this module)."""

    def evaluate(self, trial, values, callbacks=(), track=None):
        trial.set_user_attr("trained_on", self.data().name)
        return super().evaluate(trial, values, callbacks, track)


def test_the_workers_train_on_the_data_the_parent_loaded_once(tiny, monkeypatch):
    """The parent loads the data while the workers import their framework and pipes it to
    them: no worker loads it again (for the bundled sets that was an import of scikit-learn,
    ~2 s of CPU, in every worker's first trial)."""
    import dataclasses

    import optuna

    import runner.run
    from runner.hpo import SearchConfig
    from runner.hpo.storage import open_storage

    loads = []
    real = runner.run.load_data

    def load_in_parent(*args, **kwargs):
        loads.append(1)
        return dataclasses.replace(real(*args, **kwargs), name="loaded-by-the-parent")

    monkeypatch.setattr(runner.run, "load_data", load_in_parent)
    s = RecordingSearch(tiny.read_text(), tiny, None, None, "random",
                        SearchConfig(n_trials=3, parallel=2, seed=0, track=False, epochs=1, num_samples=300,
                                     dataset="digits", base_dir=str(tiny.parent / "store")))
    r = s.run()
    study = optuna.load_study(study_name=r.study_name, storage=open_storage(None, s.config.base_dir, r.study_name))
    assert [t.user_attrs["trained_on"] for t in study.get_trials()] == ["loaded-by-the-parent"] * 3
    assert len(loads) == 1
